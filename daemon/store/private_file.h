// Raw-descriptor helpers for the files inmost keeps private to its user (the storage key
// files and backup archives) and its data directory: an owning descriptor, whole reads
// and writes, syncs, the exact 0600 and 0700 modes and how a wrong one is shown, and
// the big-endian integer fields of their formats. They must never widen a file's mode,
// replace an existing file, or put a file's contents in an error: errors name only the
// path and the system's reason.
#pragma once

#include <sys/types.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>

#include "inmost/status.h"

namespace inmost::store {

// The only mode a private file has: read and write for its owner alone.
inline constexpr mode_t kPrivateFileMode = 0600;
// ... and a private directory's: everything for its owner alone.
inline constexpr mode_t kPrivateDirMode = 0700;
// Permission bits for group and others: none may be set on a private file or directory.
inline constexpr mode_t kGroupOtherBits = 077;

// The permission bits of `mode` as four octal digits ("0644"), for error messages.
std::string OctalMode(mode_t mode);

// Owns a file descriptor (negative: none) and closes it when it goes out of scope.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&&) = delete;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  // Closes now and reports whether the kernel accepted the close.
  bool Close();

 private:
  int fd_;
};

// "<path>: <strerror(err)>", for error messages.
std::string DescribeFileError(const std::filesystem::path& path, int err);

// Writes all of `bytes` to `fd`, retrying short writes and EINTR. `path` only names the
// file in the IoError.
Status WriteAll(int fd, std::span<const uint8_t> bytes, const std::filesystem::path& path);

// Reads into `out` until it is full or the file ends, retrying EINTR, and returns how many
// bytes were read: fewer than `out.size()` only at the end of the file.
Result<size_t> ReadUpTo(int fd, std::span<uint8_t> out, const std::filesystem::path& path);

// Sets the open file's mode to exactly kPrivateFileMode, whatever the umask left.
Status SetPrivateMode(int fd, const std::filesystem::path& path);

// Stores `value` in the sizeof(T) bytes at `out`, most significant byte first.
template <std::unsigned_integral T>
void PutBigEndian(uint8_t* out, T value) {
  constexpr unsigned kBitsPerByte = 8;
  constexpr unsigned kByteMask = 0xff;
  for (size_t i = 0; i < sizeof(T); ++i) {
    out[sizeof(T) - 1 - i] = static_cast<uint8_t>(value & kByteMask);
    value = static_cast<T>(value >> kBitsPerByte);
  }
}

// The value stored by PutBigEndian<T> in the sizeof(T) bytes at `in`.
template <std::unsigned_integral T>
T GetBigEndian(const uint8_t* in) {
  constexpr unsigned kBitsPerByte = 8;
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value = static_cast<T>((value << kBitsPerByte) | in[i]);
  return value;
}

}  // namespace inmost::store
