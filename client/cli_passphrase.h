// Reads a passphrase a person chooses (for a backup): typed twice without echo at a
// terminal, or one line from a pipe, so scripts can pass it without putting it on
// the command line, where other users could see it in the process list.
#pragma once

#include <cstddef>
#include <string>

#include "client/cli_context.h"
#include "inmost/status.h"

namespace inmost::cli {

// A new passphrase: when context.InIsTerminal(), prompted for on err() twice with
// echo off (the two must match); otherwise the first line of in(). InvalidArgument
// when there is none, when the two differ, or when it is shorter than `min_bytes`.
Result<std::string> ReadNewPassphrase(CommandContext& context, size_t min_bytes);

}  // namespace inmost::cli
