// The body of a backup archive: a libsodium secretstream (XChaCha20-Poly1305) cut into
// length-prefixed chunks, so truncation, reordering and alteration are all detected.
// Plaintext is only held in SecretBytes, a chunk at a time, never in the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::store {

// The most plaintext one chunk holds: memory stays this small, whatever the store's size.
inline constexpr size_t kBackupChunkSize = size_t{64} * 1024;
// The size of the key that seals the stream.
inline constexpr size_t kBackupStreamKeySize = 32;

// Writes an archive to a file descriptor it does not own: first a header in the clear,
// then the sealed stream. Not thread-safe.
class BackupStreamWriter {
 public:
  // `path` only names the file in errors.
  BackupStreamWriter(int fd, std::filesystem::path path);

  // Writes `header` in the clear and starts the stream under `key`. The first chunk
  // authenticates `header`, so no byte of it can change unnoticed.
  Status Begin(std::span<const uint8_t> header, const crypto::SecretBytes& key);
  // Adds plaintext, sealing and writing each chunk as it fills.
  Status Append(std::span<const uint8_t> plaintext);
  // Seals what is left as the final chunk; nothing may be appended afterwards.
  Status Finish();
  // Every byte written to the file so far.
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  Status SealChunk(unsigned char tag);
  Status Write(std::span<const uint8_t> bytes);

  int fd_;
  std::filesystem::path path_;
  crypto::SecretBytes state_;      // The secretstream state: it holds the key.
  crypto::SecretBytes plaintext_;  // The chunk being filled.
  size_t filled_ = 0;
  std::vector<uint8_t> first_chunk_ad_;  // The header, until the first chunk is sealed.
  std::vector<uint8_t> sealed_;
  uint64_t bytes_written_ = 0;
};

// Reads what BackupStreamWriter wrote, from a file descriptor it does not own.
// Every error is Corruption (or IoError) and names the file, never its contents.
class BackupStreamReader {
 public:
  BackupStreamReader(int fd, std::filesystem::path path);

  // Reads exactly `out.size()` bytes of the clear header.
  Status ReadHeader(std::span<uint8_t> out);
  // Starts opening the stream under `key`; `header` as given to the writer's Begin().
  Status Begin(std::span<const uint8_t> header, const crypto::SecretBytes& key);
  // Fills `out` with the next plaintext; Corruption if the stream ends first.
  Status Read(std::span<uint8_t> out);
  // True once the final chunk is read to its end and nothing follows it in the file.
  Result<bool> AtEnd();

 private:
  // Reads and opens the next chunk into plaintext_.
  Status OpenChunk();
  Status Truncated() const;

  int fd_;
  std::filesystem::path path_;
  crypto::SecretBytes state_;
  crypto::SecretBytes plaintext_;
  size_t filled_ = 0;
  size_t consumed_ = 0;
  bool final_seen_ = false;
  uint64_t chunks_opened_ = 0;
  std::vector<uint8_t> first_chunk_ad_;
  std::vector<uint8_t> sealed_;
};

}  // namespace inmost::store
