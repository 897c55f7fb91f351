// Parses inmostd's command line and config file (Boost.Program_options) into a
// Command. It only reads options; it opens no files but the config file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/daemon.h"
#include "daemon/log/logger.h"
#include "inmost/status.h"

namespace inmost::config {

struct Command {
  enum class Verb { kHelp, kVersion, kInit, kRun, kRestore };
  Verb verb = Verb::kHelp;
  std::string help_text;    // For kHelp: what to print.
  std::string backup_file;  // For kRestore: the archive; its passphrase comes on stdin.
  DaemonOptions daemon;     // data_dir resolved; listen etc. for kRun.
  bool passphrase_stdin = false;
  log::Level log_level = log::Level::kInfo;
  // For kRun: $INMOST_TEST_CLOCK_OFFSET_MS in a build with test hooks (see
  // config/test_hooks.h), else 0.
  int64_t clock_offset_ms = 0;
};

// Parses `argv` (with `getenv` for the data-directory default and the test hooks).
// Unknown options, a missing verb or a bad value give InvalidArgument with a message
// naming the problem.
Result<Command> ParseCommandLine(int argc, const char* const* argv,
                                 const std::function<const char*(const char*)>& getenv);

}  // namespace inmost::config
