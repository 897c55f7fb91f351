#include "daemon/store/leveldb_bridge.h"

#include "daemon/store/record_key.h"

namespace inmost::store {

namespace {
// The text LevelDB puts in the IOError for a LOCK file another process holds.
constexpr std::string_view kLevelDbLockHeld = "already held by process";
// strerror(ENOSPC), as LevelDB's POSIX env reports it.
constexpr std::string_view kNoSpace = "No space left on device";
constexpr std::string_view kTableFile = ".ldb";
constexpr std::string_view kPastEnd = "Invalid argument";        // strerror(EINVAL)
constexpr std::string_view kReadOnly = "Read-only file system";  // strerror(EROFS)
}  // namespace

leveldb::ReadOptions CheckedRead() {
  leveldb::ReadOptions options;
  options.verify_checksums = true;
  return options;
}

Status FromLevelDb(const leveldb::Status& s, const std::string& action) {
  std::string message = "cannot " + action + ": " + s.ToString();
  if (s.IsIOError() && s.ToString().find(kNoSpace) != std::string::npos) {
    return ResourceExhausted("the disk holding the data directory is full (" + message +
                             "); nothing new is accepted until space is freed");
  }
  if (s.IsIOError() && s.ToString().find(kReadOnly) != std::string::npos) {
    return PermissionDenied("the data directory is on a read-only file system (" + message +
                            "); nothing new is accepted until it is writable again");
  }
  if (s.IsCorruption()) return Corruption(message + " (the store's files are damaged)");
  if (s.IsIOError() && s.ToString().find(kTableFile) != std::string::npos &&
      s.ToString().find(kPastEnd) != std::string::npos) {
    // LevelDB reads table files through mmap: a read past the end is EINVAL.
    return Corruption(message +
                      " (a table file is shorter than recorded: the store's files are "
                      "damaged or truncated)");
  }
  if (s.IsNotFound()) return NotFound(message);
  if (s.IsIOError() && s.ToString().find(kLevelDbLockHeld) != std::string::npos) {
    return Unavailable(message + " (is another inmost daemon using this data directory?)");
  }
  return IoError(message);
}

Status RecordDoesNotOpen(std::string_view key) {
  return Corruption("stored record '" + PrintableKey(key) +
                    "' fails authentication: the store is damaged or was tampered with");
}

}  // namespace inmost::store
