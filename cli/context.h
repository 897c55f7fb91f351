// What every CLI command is handed: the global options, the terminal's streams,
// and the helpers that turn parse results, replies and failures into output and
// exit codes, so each command only says what it asks and how to show the answer.
#pragma once

#include <google/protobuf/message.h>

#include <boost/program_options.hpp>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/speakers.h"
#include "inmost/client.h"
#include "inmost/status.h"
#include "proto/control.pb.h"

namespace inmost::cli {

namespace po = boost::program_options;

// The options every command accepts, before or after the command's name.
struct GlobalOptions {
  std::string data_dir;  // Empty: the default data directory.
  std::string socket;    // Empty: <data dir>/control.sock.
  bool json = false;
};

// The global options' descriptions, for parsing and for --help.
po::options_description GlobalOptionsDescription();
// Copies the global options present in `vm` into `globals`.
void ReadGlobalOptions(const po::variables_map& vm, GlobalOptions* globals);

// How a command presents itself in its --help and in usage errors.
struct CommandUsage {
  std::string_view name;         // "send"
  std::string_view synopsis;     // "[options] TEXT..."
  std::string_view description;  // Paragraphs of plain text, ending in a newline.
};

// "Usage: inmost send [options] TEXT... | -", the first line of a command's --help
// (the README's command reference copies it: tests/integration/test_readme_usage.py).
std::string UsageLine(const CommandUsage& usage);

class CommandContext {
 public:
  CommandContext(GlobalOptions globals, std::istream& in, std::ostream& out, std::ostream& err);

  // Parses a command's arguments with its `options` plus --help and the global
  // options into `vm`; `positional_options` name the positional arguments and are
  // left out of --help (the synopsis shows them). Returns an exit code when the
  // command must end now: 0 after printing --help, kExitUsage after a usage error.
  std::optional<int> ParseArgs(const CommandUsage& usage, const std::vector<std::string>& args,
                               const po::options_description& options,
                               const po::options_description& positional_options,
                               const po::positional_options_description& positional,
                               po::variables_map* vm);
  // The same for a command without positional arguments.
  std::optional<int> ParseArgs(const CommandUsage& usage, const std::vector<std::string>& args,
                               const po::options_description& options, po::variables_map* vm);
  // The same for a command whose one argument is a message ID ("12" or "#12"),
  // stored in *id.
  std::optional<int> ParseIdArgs(const CommandUsage& usage, const std::vector<std::string>& args,
                                 uint64_t* id);
  // Reads the message ID a command's parsed arguments hold as "id" into *id; returns
  // kExitUsage after a usage error when it is missing or not an id.
  std::optional<int> ReadIdArg(const CommandUsage& usage, const po::variables_map& vm,
                               uint64_t* id);

  bool json() const { return globals_.json; }
  // The global options, for running another command with the same daemon and --json.
  const GlobalOptions& globals() const { return globals_; }
  std::istream& in() { return in_; }
  // Whether in() is a terminal a person types at (and not a pipe, a file or a test's
  // stream): what decides whether to prompt, and to turn echo off for secrets.
  bool InIsTerminal() const;
  std::ostream& out() { return out_; }
  // Whether out() is a terminal (and not a pipe, a file or a test's stream): what
  // decides whether a display may redraw itself in place.
  bool OutIsTerminal() const;
  // Whether out() is the process's standard output (not a chat's lines).
  bool OutIsStdout() const;
  std::ostream& err() { return err_; }

  // Connects to the daemon. On failure prints why (and how to start the daemon)
  // and returns nullopt with *exit_code set.
  std::optional<Client> Connect(int* exit_code);

  // Sends `request` over `client` and stores the answer in *reply. On failure prints
  // why (the daemon's error, or a lost connection) and returns the exit code.
  std::optional<int> Call(Client& client, const control::Request& request,
                          control::Response* reply);
  // Sends `request` over `client` and prints the answer: the reply body as JSON
  // with --json, otherwise through `print_text`. Returns the exit code.
  int Exchange(Client& client, const control::Request& request,
               const std::function<void(const control::Response&)>& print_text);
  // Connects, then Exchange().
  int ConnectAndExchange(const control::Request& request,
                         const std::function<void(const control::Response&)>& print_text);
  // The same for a command that shows messages: `print_text` also gets what to call
  // the two of you, asked of the daemon first (not with --json).
  int ConnectAndShow(
      const control::Request& request,
      const std::function<void(const control::Response&, const Speakers&)>& print_text);
  // What to call the two of you, from the daemon's status ("you" and "partner" when
  // it cannot say).
  Speakers AskSpeakers(Client& client);

  // Prints a failed connection (`status`) and returns kExitUnreachable.
  int ReportUnreachable(const Status& status);
  // Prints an error the daemon answered with and returns kExitDaemonError.
  int ReportDaemonError(const control::Error& error);
  // Prints a usage error with a pointer to --help and returns kExitUsage.
  int ReportUsageError(const CommandUsage& usage, std::string_view message);

  // The text of a command's TEXT... words: joined with single spaces, or all of
  // standard input when the only word is "-" (one trailing newline dropped).
  std::string TextFromWords(const std::vector<std::string>& words);

  // Writes `message` as one line of JSON (protobuf's mapping, proto field names,
  // every field) to out().
  void PrintJsonLine(const google::protobuf::Message& message);

  // The daemon's control socket: --socket, else the data directory's.
  Result<std::string> SocketPath() const;

 private:
  GlobalOptions globals_;
  std::istream& in_;
  std::ostream& out_;
  std::ostream& err_;
};

// A message id as typed: "12" or "#12". InvalidArgument for anything else and for 0.
Result<uint64_t> ParseMessageId(std::string_view text);

// The one-line JSON form of `message` used by --json and `watch`.
std::string ToJsonLine(const google::protobuf::Message& message);

}  // namespace inmost::cli
