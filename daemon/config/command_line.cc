#include "daemon/config/command_line.h"

#include <boost/program_options.hpp>
#include <fstream>
#include <sstream>
#include <utility>

#include "daemon/codec/config/run_options.h"
#include "daemon/config/test_hooks.h"
#include "daemon/peer/route.h"
#include "daemon/peer/socks5.h"

namespace inmost::config {
namespace {

namespace po = boost::program_options;

constexpr char kUsage[] =
    "usage: inmostd init [--data-dir DIR] [--passphrase-stdin]\n"
    "       inmostd run  [--data-dir DIR] [--listen HOST:PORT] [--config FILE] [options]\n"
    "       inmostd restore FILE [--data-dir DIR]\n"
    "       inmostd --version\n"
    "\n"
    "inmostd keeps an end-to-end encrypted conversation with one partner.\n"
    "  init     creates the identity and the encrypted store in the data directory\n"
    "  run      runs the daemon in the foreground (stop it with Ctrl-C or SIGTERM)\n"
    "  restore  makes a new data directory from a backup archive (`inmost backup FILE`),\n"
    "           carrying on the same identity, pairing and history. It reads the archive's\n"
    "           passphrase from the first line of standard input and writes a new 0600\n"
    "           storage key file; the directory must not hold a store yet.\n"
    "\n"
    "The data directory defaults to $INMOST_DATA_DIR, else $STATE_DIRECTORY (set by\n"
    "systemd's StateDirectory=), else $XDG_DATA_HOME/inmost, else ~/.local/share/inmost.\n"
    "Drive a running daemon with the `inmost` command.\n"
    "\n"
    "Exit codes:\n"
    "  0  success; for run, stopped by SIGINT or SIGTERM\n"
    "  1  failed (the message on standard error says why)\n"
    "  2  usage error: the command line or config file is wrong, nothing was done\n";

po::options_description CommonOptions() {
  po::options_description o("Options for init and run");
  o.add_options()("help,h", "show this help")("data-dir", po::value<std::string>(),
                                              "data directory (see above for the default)")(
      "passphrase-stdin",
      "read a passphrase from the first line of standard input: at init it protects the "
      "storage key (Argon2id); at run it unlocks it. Without it, init writes a 0600 key file.");
  return o;
}

// restore takes only the data directory; the archive is its one positional argument.
po::options_description RestoreOptions() {
  po::options_description o("Options for restore");
  o.add_options()("help,h", "show this help")("data-dir", po::value<std::string>(),
                                              "the new data directory to make")(
      "backup-file", po::value<std::string>(), "the archive to restore");
  return o;
}

}  // namespace

Result<Command> ParseCommandLine(int argc, const char* const* argv,
                                 const std::function<const char*(const char*)>& getenv) {
  Command command;
  po::options_description all;
  all.add(CommonOptions()).add(RunOptions(kDefaultListen));
  std::ostringstream help;
  help << kUsage << '\n' << all << '\n';
  command.help_text = help.str();
  if (argc < 2) return command;
  std::string verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") return command;
  if (verb == "--version" || verb == "version") {
    command.verb = Command::Verb::kVersion;
    return command;
  }
  if (verb == "init") {
    command.verb = Command::Verb::kInit;
  } else if (verb == "run") {
    command.verb = Command::Verb::kRun;
  } else if (verb == "restore") {
    command.verb = Command::Verb::kRestore;
  } else {
    return InvalidArgument("unknown command '" + verb +
                           "'; expected init, run or restore (see --help)");
  }

  po::variables_map vm;
  try {
    po::options_description accepted = command.verb == Command::Verb::kInit      ? CommonOptions()
                                       : command.verb == Command::Verb::kRestore ? RestoreOptions()
                                                                                 : all;
    po::positional_options_description positional;
    if (command.verb == Command::Verb::kRestore) positional.add("backup-file", 1);
    po::store(
        po::command_line_parser(argc - 1, argv + 1).options(accepted).positional(positional).run(),
        vm);
    if (vm.count("config")) {
      std::ifstream file(vm["config"].as<std::string>());
      if (!file)
        return InvalidArgument("cannot read config file " + vm["config"].as<std::string>());
      StoreConfigFile(file, kDefaultListen, vm);
    }
    po::notify(vm);
  } catch (po::error& e) {
    return InvalidArgument(OptionsErrorMessage(e) + " (see inmostd --help)");
  }
  if (vm.count("help")) {
    command.verb = Command::Verb::kHelp;
    return command;
  }

  if (vm.count("data-dir")) {
    command.daemon.data_dir = vm["data-dir"].as<std::string>();
  } else {
    INMOST_ASSIGN_OR_RETURN(auto root, store::DataDir::DefaultRoot(getenv));
    command.daemon.data_dir = root;
  }
  command.passphrase_stdin = vm.count("passphrase-stdin") > 0;
  if (command.verb == Command::Verb::kInit) return command;
  if (command.verb == Command::Verb::kRestore) {
    if (!vm.count("backup-file")) {
      return InvalidArgument("restore needs the backup file: inmostd restore FILE --data-dir DIR");
    }
    command.backup_file = vm["backup-file"].as<std::string>();
    return command;
  }

  INMOST_ASSIGN_OR_RETURN(auto run, CheckRunOptions(vm));
  command.daemon.listen = std::move(run.listen);
  command.daemon.advertise = std::move(run.advertise);
  command.daemon.quiet_hours = std::move(run.quiet_hours);
  command.daemon.max_file_bytes = run.max_file_bytes;
  command.daemon.file_quota_bytes = run.file_quota_bytes;
  command.daemon.transfer_rate_bytes_per_second = run.transfer_rate_bytes_per_second;
  command.daemon.incoming = run.incoming;
  command.daemon.tor = run.tor;
  command.daemon.link.tor_only = run.tor.only;
  // Under tor-only nothing may say where this machine is: no router, no beacons.
  command.daemon.port_mapping.enabled = run.port_mapping && !run.tor.only;
  command.daemon.port_mapping.check_interval = run.address_check_interval;
  command.daemon.address_check_interval = run.address_check_interval;
  command.daemon.lan.enabled = run.lan_discovery && !run.tor.only;
  command.daemon.lan.interval = run.lan_beacon_interval;
  if (run.tor.only) {
    // Nothing may reach this daemon but through its onion service.
    if (vm["listen"].defaulted()) {
      command.daemon.listen = peer::kTorOnlyListen;
    } else if (!peer::IsLoopbackListen(command.daemon.listen)) {
      return InvalidArgument("--tor-only on listens on loopback only, and --listen " +
                             command.daemon.listen + " is not a loopback address (try " +
                             peer::kTorOnlyListen + ")");
    }
  }
  command.log_level = run.log_level;
  command.daemon.link.keepalive_interval = run.keepalive_interval;
  command.daemon.link.dead_after = run.dead_after;
  command.daemon.link.backoff_max = run.backoff_max;
  command.daemon.link.rehandshake_after = run.rehandshake_after;
  INMOST_ASSIGN_OR_RETURN(auto clock_offset_ms, TestClockOffsetMs(getenv));
  command.clock_offset_ms = clock_offset_ms;
  if (!run.proxy_url.empty()) {
    auto proxy = peer::ParseProxyUrl(run.proxy_url);
    if (!proxy.ok()) return InvalidArgument("--proxy: " + proxy.status().message());
    command.daemon.link.proxy = peer::JoinHostPort(*proxy);
  }
  return command;
}

}  // namespace inmost::config
