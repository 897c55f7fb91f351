#include "daemon/store/backup_stream.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "daemon/store/private_file.h"

namespace inmost::store {

namespace {

using StreamState = crypto_secretstream_xchacha20poly1305_state;

constexpr size_t kStreamHeaderSize = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kChunkOverhead = crypto_secretstream_xchacha20poly1305_ABYTES;
constexpr size_t kMaxSealedChunkSize = kBackupChunkSize + kChunkOverhead;
// Each chunk on disk: its sealed length (u32, big-endian), then the sealed bytes.
constexpr size_t kLengthSize = sizeof(uint32_t);

static_assert(kBackupStreamKeySize == crypto_secretstream_xchacha20poly1305_KEYBYTES);
// The state lives in SecretBytes, whose memory promises no alignment.
static_assert(alignof(StreamState) == 1);

StreamState* State(crypto::SecretBytes& memory) {
  return reinterpret_cast<StreamState*>(memory.data());
}

}  // namespace

// ---- writer ------------------------------------------------------------------------

BackupStreamWriter::BackupStreamWriter(int fd, std::filesystem::path path)
    : fd_(fd),
      path_(std::move(path)),
      state_(sizeof(StreamState)),
      plaintext_(kBackupChunkSize),
      sealed_(kLengthSize + kMaxSealedChunkSize) {}

Status BackupStreamWriter::Begin(std::span<const uint8_t> header, const crypto::SecretBytes& key) {
  if (key.size() != kBackupStreamKeySize) return InvalidArgument("the stream key must be 32 bytes");
  uint8_t stream_header[kStreamHeaderSize];
  crypto_secretstream_xchacha20poly1305_init_push(State(state_), stream_header, key.data());
  first_chunk_ad_.assign(header.begin(), header.end());
  INMOST_RETURN_IF_ERROR(Write(header));
  return Write(stream_header);
}

Status BackupStreamWriter::Append(std::span<const uint8_t> plaintext) {
  while (!plaintext.empty()) {
    // A full chunk is sealed only when more follows, so the final one is never empty
    // unless the whole stream is.
    if (filled_ == kBackupChunkSize) {
      INMOST_RETURN_IF_ERROR(SealChunk(crypto_secretstream_xchacha20poly1305_TAG_MESSAGE));
    }
    const size_t n = std::min(plaintext.size(), kBackupChunkSize - filled_);
    std::memcpy(plaintext_.data() + filled_, plaintext.data(), n);
    filled_ += n;
    plaintext = plaintext.subspan(n);
  }
  return Status::Ok();
}

Status BackupStreamWriter::Finish() {
  return SealChunk(crypto_secretstream_xchacha20poly1305_TAG_FINAL);
}

Status BackupStreamWriter::SealChunk(unsigned char tag) {
  unsigned long long sealed_size = 0;
  crypto_secretstream_xchacha20poly1305_push(State(state_), sealed_.data() + kLengthSize,
                                             &sealed_size, plaintext_.data(), filled_,
                                             first_chunk_ad_.data(), first_chunk_ad_.size(), tag);
  sodium_memzero(plaintext_.data(), filled_);
  filled_ = 0;
  first_chunk_ad_.clear();
  PutBigEndian<uint32_t>(sealed_.data(), static_cast<uint32_t>(sealed_size));
  return Write(std::span(sealed_.data(), kLengthSize + static_cast<size_t>(sealed_size)));
}

Status BackupStreamWriter::Write(std::span<const uint8_t> bytes) {
  INMOST_RETURN_IF_ERROR(WriteAll(fd_, bytes, path_));
  bytes_written_ += bytes.size();
  return Status::Ok();
}

// ---- reader ------------------------------------------------------------------------

BackupStreamReader::BackupStreamReader(int fd, std::filesystem::path path)
    : fd_(fd),
      path_(std::move(path)),
      state_(sizeof(StreamState)),
      plaintext_(kBackupChunkSize),
      sealed_(kMaxSealedChunkSize) {}

Status BackupStreamReader::ReadHeader(std::span<uint8_t> out) {
  INMOST_ASSIGN_OR_RETURN(size_t n, ReadUpTo(fd_, out, path_));
  if (n != out.size()) return Truncated();
  return Status::Ok();
}

Status BackupStreamReader::Begin(std::span<const uint8_t> header, const crypto::SecretBytes& key) {
  if (key.size() != kBackupStreamKeySize) return InvalidArgument("the stream key must be 32 bytes");
  uint8_t stream_header[kStreamHeaderSize];
  INMOST_RETURN_IF_ERROR(ReadHeader(stream_header));
  if (crypto_secretstream_xchacha20poly1305_init_pull(State(state_), stream_header, key.data()) !=
      0) {
    return Corruption("backup " + path_.string() + " has a damaged stream header");
  }
  first_chunk_ad_.assign(header.begin(), header.end());
  return Status::Ok();
}

Status BackupStreamReader::Read(std::span<uint8_t> out) {
  while (!out.empty()) {
    if (consumed_ == filled_) {
      if (final_seen_) {
        return Corruption("backup " + path_.string() +
                          " is damaged: its last record runs past the end of the archive");
      }
      INMOST_RETURN_IF_ERROR(OpenChunk());
      continue;
    }
    const size_t n = std::min(out.size(), filled_ - consumed_);
    std::memcpy(out.data(), plaintext_.data() + consumed_, n);
    consumed_ += n;
    out = out.subspan(n);
  }
  return Status::Ok();
}

Result<bool> BackupStreamReader::AtEnd() {
  while (consumed_ == filled_ && !final_seen_) INMOST_RETURN_IF_ERROR(OpenChunk());
  if (consumed_ != filled_) return false;
  uint8_t extra;
  INMOST_ASSIGN_OR_RETURN(size_t n, ReadUpTo(fd_, std::span(&extra, 1), path_));
  if (n != 0) {
    return Corruption("backup " + path_.string() +
                      " has data after its final chunk; it was altered");
  }
  return true;
}

Status BackupStreamReader::OpenChunk() {
  uint8_t length_bytes[kLengthSize];
  INMOST_ASSIGN_OR_RETURN(size_t length_read, ReadUpTo(fd_, length_bytes, path_));
  if (length_read != kLengthSize) return Truncated();
  const uint32_t sealed_size = GetBigEndian<uint32_t>(length_bytes);
  if (sealed_size < kChunkOverhead || sealed_size > kMaxSealedChunkSize) {
    return Corruption("backup " + path_.string() + " is damaged: chunk " +
                      std::to_string(chunks_opened_ + 1) + " has an impossible length");
  }
  INMOST_ASSIGN_OR_RETURN(size_t sealed_read,
                          ReadUpTo(fd_, std::span(sealed_.data(), sealed_size), path_));
  if (sealed_read != sealed_size) return Truncated();

  sodium_memzero(plaintext_.data(), filled_);
  unsigned long long opened_size = 0;
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(
          State(state_), plaintext_.data(), &opened_size, &tag, sealed_.data(), sealed_size,
          first_chunk_ad_.data(), first_chunk_ad_.size()) != 0) {
    filled_ = consumed_ = 0;
    return Corruption("backup " + path_.string() + " is damaged or was altered: chunk " +
                      std::to_string(chunks_opened_ + 1) + " does not authenticate");
  }
  first_chunk_ad_.clear();
  ++chunks_opened_;
  filled_ = static_cast<size_t>(opened_size);
  consumed_ = 0;
  if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
    final_seen_ = true;
  } else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
    return Corruption("backup " + path_.string() + " is damaged: chunk " +
                      std::to_string(chunks_opened_) + " has an unknown tag");
  }
  return Status::Ok();
}

Status BackupStreamReader::Truncated() const {
  return Corruption("backup " + path_.string() +
                    " is truncated: it ends before its final chunk (an interrupted copy?)");
}

}  // namespace inmost::store
