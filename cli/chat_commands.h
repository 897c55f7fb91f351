// The slash commands of `inmost chat`: each is the CLI command of the same name,
// run as `inmost NAME ARGS...` would run it, its output captured for the chat window.
// Nothing here writes to the terminal itself.
#pragma once

#include <string>
#include <vector>

#include "cli/context.h"

namespace inmost::cli {

struct ChatCommandResult {
  int exit_code = 0;
  std::vector<std::string> lines;  // Its output, then its errors, line by line.
};

// Runs the command `name` (one ChatTypedLine said exists) with `args` and the chat's
// global options (the daemon to ask, --json).
ChatCommandResult RunChatCommand(const GlobalOptions& globals, const std::string& name,
                                 const std::vector<std::string>& args);

// What /help shows: the chat's own commands, then every command of the CLI.
std::vector<std::string> ChatHelpLines();

}  // namespace inmost::cli
