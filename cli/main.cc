// The `inmost` command-line client: a thin entry point; the work is in the other files of cli/.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "cli/dispatch.h"

int main(int argc, char** argv) {
  // A closed stdout (inmost watch | head) must end the program with an error
  // from the write, not kill it silently mid-line.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  return inmost::cli::RunCli(args, std::cin, std::cout, std::cerr);
}
