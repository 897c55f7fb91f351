// What `inmost doctor` concludes, check by check, from the daemon's status and what
// it can see of the data directory on this machine. Pure: no I/O here (doctor.cc
// gathers the facts), so each conclusion is tested with the facts made up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/control.pb.h"

namespace inmost::cli {

enum class CheckState { kOk, kWarn, kFail, kSkipped };

// "ok", "warn", "FAIL", "skipped": the first column of doctor's lines.
const char* CheckStateName(CheckState state);

struct CheckResult {
  std::string check;  // "daemon", "data dir", "clock", ...
  CheckState state = CheckState::kOk;
  std::string finding;  // What holds, in one sentence.
  std::string advice;   // What to do about it; empty when nothing is to be done.
};

// A clock this far from the partner's is a warning: sealed envelopes open by the
// sender's clock.
inline constexpr int64_t kClockSkewWarnMs = 60'000;
// Free space in the data directory below these: a failure, a warning.
inline constexpr uint64_t kDiskFailBytes = uint64_t{100} << 20;
inline constexpr uint64_t kDiskWarnBytes = uint64_t{1} << 30;

// What doctor.cc found of the data directory on this machine (nullopt fields: not
// looked at, e.g. the daemon runs elsewhere and only its socket is here).
struct LocalFacts {
  std::string data_dir;
  bool data_dir_here = false;  // The directory exists on this machine.
  // The directory lets others in (group or other permission bits). What is inside
  // is private as long as the directory is not.
  bool data_dir_open = false;
  // Entries owned by another user than the directory (a file made by `sudo inmostd`,
  // say), which the daemon may then be unable to write.
  std::vector<std::string> foreign_paths;
  std::optional<uint64_t> free_bytes;  // In the data directory's file system.
  std::string client_version;
};

CheckResult CheckDaemonAnswered(const std::string& socket, const control::StatusReply& status);
CheckResult CheckDaemonUnreachable(const std::string& socket, const std::string& why);
CheckResult CheckDataDir(const LocalFacts& facts);
CheckResult CheckClock(const control::StatusReply& status);
CheckResult CheckPartnerLink(const control::StatusReply& status, int64_t now_unix_ms);
CheckResult CheckTor(const control::StatusReply& status);
CheckResult CheckPortMapping(const control::StatusReply& status);
CheckResult CheckDisk(const LocalFacts& facts);
CheckResult CheckVersions(const control::StatusReply& status, const LocalFacts& facts);

// Every check in doctor's order, given a daemon that answered with `status`.
std::vector<CheckResult> CheckAll(const std::string& socket, const control::StatusReply& status,
                                  const LocalFacts& facts, int64_t now_unix_ms);

}  // namespace inmost::cli
