#include "daemon/config/command_line.h"

#include <boost/program_options.hpp>
#include <fstream>
#include <sstream>

namespace inmost::config {
namespace {

namespace po = boost::program_options;

constexpr char kUsage[] =
    "usage: inmostd init [--data-dir DIR] [--passphrase-stdin]\n"
    "       inmostd run  [--data-dir DIR] [--listen HOST:PORT] [--config FILE] [options]\n"
    "\n"
    "inmostd keeps an end-to-end encrypted conversation with one partner.\n"
    "  init   creates the identity and the encrypted store in the data directory\n"
    "  run    runs the daemon in the foreground (stop it with Ctrl-C or SIGTERM)\n"
    "\n"
    "The data directory defaults to $INMOST_DATA_DIR, else $XDG_DATA_HOME/inmost,\n"
    "else ~/.local/share/inmost. Drive a running daemon with the `inmost` command.\n";

po::options_description CommonOptions() {
  po::options_description o("Options for init and run");
  o.add_options()("help,h", "show this help")("data-dir", po::value<std::string>(),
                                              "data directory (see above for the default)")(
      "passphrase-stdin",
      "read a passphrase from the first line of standard input: at init it protects the "
      "storage key (Argon2id); at run it unlocks it. Without it, init writes a 0600 key file.");
  return o;
}

po::options_description RunOptions() {
  po::options_description o("Options for run (also accepted in the --config file as key = value)");
  o.add_options()("config", po::value<std::string>(), "read options from FILE (command line wins)")(
      "listen", po::value<std::string>()->default_value(kDefaultListen),
      "where to accept the partner: HOST:PORT; [::] takes IPv6 and IPv4, port 0 picks one")(
      "advertise", po::value<std::vector<std::string>>()->composing(),
      "HOST:PORT to tell the partner and put in invites (repeatable); default: the listen "
      "address with a wildcard host replaced by 127.0.0.1")(
      "log-level", po::value<std::string>()->default_value("info"),
      "debug, info, warning or error")("keepalive-ms", po::value<int64_t>()->default_value(10000),
                                       "send a keepalive when the link was idle this long")(
      "dead-after-ms", po::value<int64_t>()->default_value(30000),
      "declare the link dead when nothing arrived for this long")(
      "backoff-max-ms", po::value<int64_t>()->default_value(30000),
      "cap of the exponential reconnect backoff (starts at 250 ms, doubles, +-25% jitter)")(
      "rehandshake-s", po::value<int64_t>()->default_value(1800),
      "replace the session with a fresh Noise handshake this often (at most 3600)")(
      "clock-offset-ms", po::value<int64_t>()->default_value(0),
      "shift this daemon's wall clock (for testing time-based features only)");
  return o;
}

}  // namespace

Result<Command> ParseCommandLine(int argc, const char* const* argv,
                                 const std::function<const char*(const char*)>& getenv) {
  Command command;
  po::options_description all;
  all.add(CommonOptions()).add(RunOptions());
  std::ostringstream help;
  help << kUsage << '\n' << all << '\n';
  command.help_text = help.str();
  if (argc < 2) return command;
  std::string verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") return command;
  if (verb == "init") {
    command.verb = Command::Verb::kInit;
  } else if (verb == "run") {
    command.verb = Command::Verb::kRun;
  } else {
    return InvalidArgument("unknown command '" + verb + "'; expected init or run (see --help)");
  }

  po::variables_map vm;
  try {
    po::options_description accepted = command.verb == Command::Verb::kInit ? CommonOptions() : all;
    po::store(po::command_line_parser(argc - 1, argv + 1).options(accepted).run(), vm);
    if (vm.count("config")) {
      std::ifstream file(vm["config"].as<std::string>());
      if (!file)
        return InvalidArgument("cannot read config file " + vm["config"].as<std::string>());
      po::store(po::parse_config_file(file, RunOptions()), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return InvalidArgument(std::string(e.what()) + " (see inmostd --help)");
  }
  if (vm.count("help")) {
    command.verb = Command::Verb::kHelp;
    return command;
  }

  if (vm.count("data-dir")) {
    command.daemon.data_dir = vm["data-dir"].as<std::string>();
  } else {
    auto root = store::DataDir::DefaultRoot(getenv);
    if (!root.ok()) return root.status();
    command.daemon.data_dir = *root;
  }
  command.passphrase_stdin = vm.count("passphrase-stdin") > 0;
  if (command.verb == Command::Verb::kInit) return command;

  command.daemon.listen = vm["listen"].as<std::string>();
  if (vm.count("advertise"))
    command.daemon.advertise = vm["advertise"].as<std::vector<std::string>>();
  if (!log::ParseLevel(vm["log-level"].as<std::string>(), &command.log_level)) {
    return InvalidArgument("--log-level must be debug, info, warning or error");
  }
  auto positive_ms = [&](const char* name) -> Result<std::chrono::milliseconds> {
    int64_t v = vm[name].as<int64_t>();
    if (v <= 0) return InvalidArgument(std::string("--") + name + " must be positive");
    return std::chrono::milliseconds(v);
  };
  auto keepalive = positive_ms("keepalive-ms");
  auto dead_after = positive_ms("dead-after-ms");
  auto backoff_max = positive_ms("backoff-max-ms");
  for (auto* r : {&keepalive, &dead_after, &backoff_max}) {
    if (!r->ok()) return r->status();
  }
  int64_t rehandshake = vm["rehandshake-s"].as<int64_t>();
  if (rehandshake <= 0 || rehandshake > 3600) {
    return InvalidArgument("--rehandshake-s must be between 1 and 3600");
  }
  command.daemon.link.keepalive_interval = *keepalive;
  command.daemon.link.dead_after = *dead_after;
  command.daemon.link.backoff_max = *backoff_max;
  command.daemon.link.rehandshake_after = std::chrono::seconds(rehandshake);
  command.clock_offset_ms = vm["clock-offset-ms"].as<int64_t>();
  return command;
}

}  // namespace inmost::config
