// A real inmostd process in a temporary data directory, for the benchmark: init,
// run on a loopback port, talk to it through the client library, stop it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "inmost/client.h"

namespace inmost::bench {

class DaemonProcess {
 public:
  // Creates a temporary data directory and runs `inmostd init` in it.
  DaemonProcess(std::string inmostd, std::string name);
  ~DaemonProcess();

  // Starts `inmostd run` on 127.0.0.1 with a free port; returns once it answers.
  void Start(const std::vector<std::string>& extra_args = {});
  // SIGTERM and wait.
  void Stop();

  // A new control connection.
  Client Connect() const;
  // Resident memory of the process in KiB (VmRSS).
  long ResidentKiB() const;
  const std::string& data_dir() const { return dir_; }

 private:
  std::string inmostd_;
  std::string name_;
  std::string dir_;
  pid_t pid_ = -1;
};

// Pairs `a` and `b` (a invites, b joins) and waits until both links are up.
void Pair(DaemonProcess& a, DaemonProcess& b);

// Aborts the benchmark with `what` when `status` is not ok.
void Check(const Status& status, const std::string& what);

}  // namespace inmost::bench
