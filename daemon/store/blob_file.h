// A received file at rest: its chunks exactly as they arrived, each sealed under the
// file key (crypto/file_cipher.h), at fixed offsets in files/<transfer id hex>, mode
// 0600. It never holds plaintext and never decides what is durable: callers Sync and
// then record how many chunks are synced (a new blob's first Sync also makes its name
// in files/ durable). Sync may run on another thread than the writes; everything else
// stays on one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/store/private_file.h"
#include "inmost/status.h"

namespace inmost::store {

class BlobFile {
 public:
  // Opens the blob at `path`, creating it (0600) when `create`.
  static Result<std::shared_ptr<BlobFile>> Open(const std::filesystem::path& path, bool create);

  // Writes sealed chunk `index` at its place (chunks are kSealedChunkSize apart).
  Status WriteChunk(uint64_t index, std::string_view sealed);
  // Reads sealed chunk `index`, `length` bytes long.
  Result<std::string> ReadChunk(uint64_t index, size_t length) const;
  // Makes every chunk written so far durable (fdatasync); the first Sync of a blob
  // Open created also syncs its folder, so the blob itself survives a power cut.
  Status Sync();
  // Cuts the file after `chunks` chunks: what a crash left beyond the last durable
  // chunk is dropped before the transfer resumes.
  Status Truncate(uint64_t chunks);
  // Bytes on disk.
  uint64_t size() const;
  const std::filesystem::path& path() const { return path_; }

  BlobFile(UniqueFd fd, std::filesystem::path path, bool created)
      : fd_(std::move(fd)), path_(std::move(path)), name_synced_(!created) {}

 private:
  UniqueFd fd_;
  std::filesystem::path path_;
  // False until the folder holding a newly created blob is synced (by Sync, which may
  // run on another thread).
  std::atomic<bool> name_synced_;
};

}  // namespace inmost::store
