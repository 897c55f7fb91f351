#include "cli/dispatch.h"

#include <ostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/exit_code.h"
#include "inmost/version.h"

namespace inmost::cli {
namespace {

constexpr char kOverview[] =
    "Usage: inmost [global options] COMMAND [options] [ARGS...]\n"
    "\n"
    "Talks to the local inmost daemon (inmostd), which keeps an end-to-end encrypted\n"
    "conversation with one partner. Start the daemon with: inmostd run --data-dir DIR\n"
    "\n"
    "Commands:\n";

constexpr char kEpilogue[] =
    "Run 'inmost COMMAND --help' for a command's options.\n"
    "\n"
    "The control socket is --socket PATH if given, else DIR/control.sock, where DIR is\n"
    "--data-dir, else $INMOST_DATA_DIR, else $XDG_DATA_HOME/inmost, else\n"
    "$HOME/.local/share/inmost.\n"
    "\n"
    "Exit codes:\n"
    "  0  success\n"
    "  1  the daemon answered with an error (the message says which)\n"
    "  2  usage error: the command line is wrong, nothing was sent\n"
    "  3  the daemon is not running or could not be reached\n"
    "  4  inmost doctor found something to look at (a warn or FAIL line)\n";

// The options the overview answers by itself, without a command or a daemon.
po::options_description OwnOptions() {
  po::options_description own("");
  own.add_options()("help,h", "Show this help.")("version",
                                                 "Print the version and the git revision.");
  return own;
}

void PrintOverview(std::ostream& out) {
  out << kOverview;
  for (const Command& command : Commands()) {
    std::string name(command.name);
    name.resize(11, ' ');
    out << "  " << name << command.summary << '\n';
  }
  out << '\n';
  out << GlobalOptionsDescription() << OwnOptions() << '\n' << kEpilogue;
}

// The position of the command name in `args`: the first word that is neither a
// global option nor the value of one. args.size() when there is none.
size_t FindCommand(const std::vector<std::string>& args, const po::options_description& globals) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return i + 1;
    if (arg.size() < 2 || arg[0] != '-') return i;
    if (arg[1] != '-' || arg.find('=') != std::string::npos) continue;
    const po::option_description* option = globals.find_nothrow(arg.substr(2), false);
    if (option != nullptr && option->semantic()->max_tokens() > 0) ++i;  // Skip its value.
  }
  return args.size();
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
           std::ostream& err) {
  po::options_description globals = GlobalOptionsDescription();
  globals.add(OwnOptions());
  size_t command_at = FindCommand(args, globals);
  std::vector<std::string> global_args(args.begin(), args.begin() + static_cast<long>(command_at));
  if (!global_args.empty() && global_args.back() == "--") global_args.pop_back();

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(global_args).options(globals).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    err << "inmost: " << e.what() << "\nRun 'inmost --help' for usage.\n";
    return kExitUsage;
  }
  if (vm.count("help")) {
    PrintOverview(out);
    return kExitOk;
  }
  if (vm.count("version")) {
    out << "inmost " << BuildVersion() << '\n';
    return kExitOk;
  }
  if (command_at >= args.size()) {
    err << "inmost: no command given\nRun 'inmost --help' for the commands.\n";
    return kExitUsage;
  }
  const std::string& name = args[command_at];
  for (const Command& command : Commands()) {
    if (command.name != name) continue;
    GlobalOptions options;
    ReadGlobalOptions(vm, &options);
    CommandContext context(options, in, out, err);
    std::vector<std::string> command_args(args.begin() + static_cast<long>(command_at) + 1,
                                          args.end());
    return command.run(context, command_args);
  }
  err << "inmost: unknown command '" << name << "'\nRun 'inmost --help' for the commands.\n";
  return kExitUsage;
}

}  // namespace inmost::cli
