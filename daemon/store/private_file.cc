#include "daemon/store/private_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace inmost::store {

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

bool UniqueFd::Close() {
  return ::close(std::exchange(fd_, -1)) == 0;
}

std::string OctalMode(mode_t mode) {
  constexpr mode_t kPermissionBits = 07777;
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & kPermissionBits));
  return buf;
}

std::string DescribeFileError(const std::filesystem::path& path, int err) {
  return path.string() + ": " + std::strerror(err);
}

Status WriteAll(int fd, std::span<const uint8_t> bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot write " + DescribeFileError(path, errno));
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<size_t> ReadUpTo(int fd, std::span<uint8_t> out, const std::filesystem::path& path) {
  size_t total = 0;
  while (total < out.size()) {
    ssize_t n = ::read(fd, out.data() + total, out.size() - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read " + DescribeFileError(path, errno));
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

Status SetPrivateMode(int fd, const std::filesystem::path& path) {
  if (::fchmod(fd, kPrivateFileMode) != 0) {
    return IoError("cannot set mode 0600 on " + DescribeFileError(path, errno));
  }
  return Status::Ok();
}

}  // namespace inmost::store
