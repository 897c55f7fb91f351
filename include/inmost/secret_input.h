// Reads a secret (a passphrase, an invite code) from a file descriptor, shared by
// inmostd and inmost as data_dir.h is. It reads with read(2) straight into memory
// from sodium_malloc, wiped when freed: never through stdio or iostreams, whose
// buffers keep a copy for the life of the process, never a byte past the line it
// was asked for, and it never copies what it reads anywhere else.
#pragma once

#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "inmost/status.h"

namespace inmost {

// Up to `capacity` secret bytes in sodium_malloc memory (guard pages, locked and
// left out of core dumps where the system allows), wiped when freed.
class SecretBuffer {
 public:
  // Aborts when the memory cannot be had: a secret must not fall back to the heap.
  explicit SecretBuffer(size_t capacity) : capacity_(capacity) {
    if (sodium_init() < 0) std::abort();
    data_ = static_cast<uint8_t*>(sodium_malloc(capacity == 0 ? 1 : capacity));
    if (data_ == nullptr) std::abort();
  }
  SecretBuffer(SecretBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  SecretBuffer& operator=(SecretBuffer&& other) noexcept {
    if (this != &other) {
      Free();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  ~SecretBuffer() { Free(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  // The bytes as text, for the one call that must hand them on.
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

  // Adds one byte; false when the buffer is full.
  bool Append(uint8_t byte) {
    if (size_ == capacity_) return false;
    data_[size_++] = byte;
    return true;
  }
  // Drops the last byte (there must be one), wiping it.
  void PopBack() { data_[--size_] = 0; }

  // Whether both hold the same bytes; constant time for equal sizes.
  bool Equals(const SecretBuffer& other) const {
    return size_ == other.size_ && (size_ == 0 || sodium_memcmp(data_, other.data_, size_) == 0);
  }

 private:
  void Free() {
    if (data_ != nullptr) sodium_free(data_);  // sodium_free wipes before freeing.
    data_ = nullptr;
    size_ = 0;
  }

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Where a secret ends.
enum class SecretEnd {
  kLine,        // At the first newline, which is dropped with a '\r' before it.
  kEndOfInput,  // At end of input; every byte is kept.
};

// Reads one secret from `read_byte`, a source with read(2)'s contract for one byte:
// `read_byte(&byte)` returns 1 with a byte, 0 at the end of input, or -1 with errno
// set. End of input also ends a line; what came until then is the secret (perhaps
// empty). InvalidArgument when more than `max_bytes` bytes come before the end (the
// rest stays unread), IoError when reading fails.
template <typename ReadByte>
Result<SecretBuffer> ReadSecretFrom(ReadByte read_byte, size_t max_bytes, SecretEnd end) {
  SecretBuffer secret(max_bytes);
  for (;;) {
    uint8_t byte = 0;
    const auto n = read_byte(&byte);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(std::string("cannot read it: ") + std::strerror(errno));
    if (n == 0) break;
    if (end == SecretEnd::kLine && byte == '\n') {
      if (!secret.empty() && secret.view().back() == '\r') secret.PopBack();
      break;
    }
    if (!secret.Append(byte)) {
      return InvalidArgument("longer than " + std::to_string(max_bytes) + " bytes");
    }
  }
  return secret;
}

// ReadSecretFrom() the file descriptor `fd`, one read(2) per byte, so that nothing
// after the secret's end is consumed.
inline Result<SecretBuffer> ReadSecret(int fd, size_t max_bytes, SecretEnd end) {
  return ReadSecretFrom([fd](uint8_t* byte) { return ::read(fd, byte, 1); }, max_bytes, end);
}

}  // namespace inmost
