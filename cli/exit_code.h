// The exit codes of the `inmost` CLI. Scripts branch on them, so a code's meaning
// never changes; new outcomes get new numbers.
#pragma once

namespace inmost::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitDaemonError = 1,  // The daemon answered with an error.
  kExitUsage = 2,        // The command line is wrong; nothing was sent.
  kExitUnreachable = 3,  // The daemon is not running or the connection failed.
  kExitDoctorFound = 4,  // `inmost doctor` found something to look at (a warn or FAIL line).
};

}  // namespace inmost::cli
