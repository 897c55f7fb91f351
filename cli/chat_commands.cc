// The slash commands of `inmost chat`, reusing the CLI's own command table so that
// `/open 4` is exactly `inmost open 4`. A command never reads the chat's terminal:
// its standard input is empty.
#include "cli/chat_commands.h"

#include <sstream>

#include "cli/commands.h"
#include "cli/exit_code.h"

namespace inmost::cli {
namespace {

void AppendLines(const std::string& text, std::vector<std::string>* lines) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines->push_back(line);
}

}  // namespace

ChatCommandResult RunChatCommand(const GlobalOptions& globals, const std::string& name,
                                 const std::vector<std::string>& args) {
  ChatCommandResult result;
  for (const Command& command : Commands()) {
    if (command.name != name) continue;
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    CommandContext context(globals, in, out, err);
    result.exit_code = command.run(context, args);
    AppendLines(out.str(), &result.lines);
    AppendLines(err.str(), &result.lines);
    return result;
  }
  result.exit_code = kExitUsage;
  result.lines.push_back("unknown command /" + name);
  return result;
}

std::vector<std::string> ChatHelpLines() {
  std::vector<std::string> lines = {
      "Type a message and press Enter to send it. Commands start with a slash:",
      "  /help        this list",
      "  /quit        leave the chat (or Ctrl-D on an empty line, or Ctrl-C)",
      "  //text       sends \"/text\": a message that starts with a slash",
      "  /reply N TEXT  sends TEXT as a reply to message #N (send --reply-to N)",
  };
  for (const Command& command : Commands()) {
    if (command.name == "chat" || command.name == "watch") continue;
    std::string name = "/" + std::string(command.name);
    name.resize(13, ' ');
    lines.push_back("  " + name + std::string(command.summary));
  }
  lines.push_back(
      "Each is the command of the same name ('/open 4' is 'inmost open 4'); "
      "'/NAME --help' shows its options.");
  return lines;
}

}  // namespace inmost::cli
