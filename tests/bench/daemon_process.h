// A real inmostd process in a temporary data directory, for the benchmark: init,
// run on a loopback port, talk to it through the client library, stop it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "inmost/client.h"

namespace inmost::bench {

// Runs `inmostd init` for the new data directory `dir`, its log going to `log_path`.
void InitDataDir(const std::string& inmostd, const std::string& dir, const std::string& log_path);

class DaemonProcess {
 public:
  // Creates a temporary data directory and runs `inmostd init` in it.
  DaemonProcess(std::string inmostd, std::string name);
  // Runs on the initialized data directory `data_dir`, which it leaves in place.
  DaemonProcess(std::string inmostd, std::string name, std::string data_dir);
  ~DaemonProcess();

  // Starts `inmostd run` on 127.0.0.1 with a free port; returns once it answers.
  void Start(const std::vector<std::string>& extra_args = {});
  // SIGTERM and wait.
  void Stop();

  // A new control connection.
  Client Connect() const;
  // Resident memory of the process in KiB (VmRSS).
  long ResidentKiB() const;
  // Its anonymous part in KiB (RssAnon): the heap and stacks, without the mapped
  // files (LevelDB maps its tables) that the kernel may drop at will.
  long AnonymousKiB() const;
  // The peak of its resident memory in KiB (VmHWM) since it started or since the
  // last ResetPeakResident().
  long PeakResidentKiB() const;
  // Starts a new peak at the resident memory of now (clear_refs 5).
  void ResetPeakResident() const;
  const std::string& data_dir() const { return dir_; }

 private:
  std::string inmostd_;
  std::string name_;
  // A field of /proc/PID/status, in KiB; -1 when it cannot be read.
  long StatusKiB(const std::string& field) const;

  std::string dir_;
  bool owns_dir_ = true;  // The temporary directory is removed with the process.
  pid_t pid_ = -1;
};

// Pairs `a` and `b` (a invites, b joins) and waits until both links are up.
void Pair(DaemonProcess& a, DaemonProcess& b);

// Aborts the benchmark with `what` when `status` is not ok.
void Check(const Status& status, const std::string& what);

}  // namespace inmost::bench
