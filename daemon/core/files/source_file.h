// A file being sent, read chunk by chunk: a file the user named, read where it lies
// (never copied: so it checks before every read that the file is still the one that
// was sent, same inode, size and times, and reports a change as an error, never as
// data), or an upload the daemon holds sealed (uploads.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "daemon/store/private_file.h"
#include "inmost/status.h"
#include "proto/records.pb.h"

namespace inmost::core {

class SourceFile {
 public:
  virtual ~SourceFile() = default;
  // Opens `path` (a regular file) and notes what it looks like now in `record`
  // (size, times, inode; `path` too).
  static Result<std::unique_ptr<SourceFile>> Open(const std::filesystem::path& path,
                                                  records::OutgoingTransfer& record);
  // Opens the file a transfer was sending: FailedPrecondition when it is gone or is
  // no longer what `record` describes.
  static Result<std::unique_ptr<SourceFile>> Reopen(const records::OutgoingTransfer& record);

  // Reads plaintext chunk `index` into `out`: an error (never other bytes) when the
  // file changed since it was sent or its chunk cannot be read back.
  virtual Status ReadChunk(uint64_t index, std::string& out) const = 0;
};

}  // namespace inmost::core
