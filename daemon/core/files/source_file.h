// A file the user asked to send, read chunk by chunk from where it lies. It is never
// copied: so it checks before every read that the file is still the one that was
// sent (same inode, size and times) and reports a change as an error, never as data.
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
  // Opens `path` (a regular file) and notes what it looks like now in `record`
  // (size, times, inode; `path` too).
  static Result<std::unique_ptr<SourceFile>> Open(const std::filesystem::path& path,
                                                  records::OutgoingTransfer& record);
  // Opens the file a transfer was sending: FailedPrecondition when it is gone or is
  // no longer what `record` describes.
  static Result<std::unique_ptr<SourceFile>> Reopen(const records::OutgoingTransfer& record);

  // Reads plaintext chunk `index` into `out`: FailedPrecondition when the file
  // changed since it was sent.
  Status ReadChunk(uint64_t index, std::string& out) const;

  SourceFile(store::UniqueFd fd, records::OutgoingTransfer record)
      : fd_(std::move(fd)), record_(std::move(record)) {}

 private:
  Status CheckUnchanged() const;

  store::UniqueFd fd_;
  records::OutgoingTransfer record_;
};

}  // namespace inmost::core
