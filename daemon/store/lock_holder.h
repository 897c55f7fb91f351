// Who holds a store's lock: LevelDB locks its LOCK file with fcntl, so a second
// daemon on the same data directory can name the first instead of printing
// LevelDB's "Resource temporarily unavailable". It only asks; it never takes a lock.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace inmost::store {

struct LockHolder {
  pid_t pid = 0;
  std::string program;  // From /proc/PID/comm; empty when it cannot be read.
};

// The process holding a write lock on `lock_file`, or nullopt when the file is not
// locked by another process (or cannot be opened).
std::optional<LockHolder> FindLockHolder(const std::filesystem::path& lock_file);

}  // namespace inmost::store
