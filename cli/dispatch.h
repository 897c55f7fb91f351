// The `inmost` command line as a whole: global options, the command table, the
// top-level help with its exit codes. It parses and dispatches; the commands do
// the work. It never calls exit(): main() returns what RunCli returns.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace inmost::cli {

// Runs `inmost` with `args` (argv without the program name) and returns the exit
// code (see ExitCode).
int RunCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
           std::ostream& err);

}  // namespace inmost::cli
