#include "web/server/web_token_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace inmost::web {
namespace {

// The token's hex digits and a newline, and one byte more to notice a longer file.
constexpr size_t kFileMaxRead = WebToken::kHexSize + 2;

std::string Describe(const std::filesystem::path& path, int error) {
  return "the token file " + path.string() + ": " + std::strerror(error);
}

// Closes a descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<WebToken> ReadTokenFile(const std::filesystem::path& path, int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return IoError(Describe(path, errno));
  if (!S_ISREG(info.st_mode)) {
    return InvalidArgument("the token file " + path.string() + " is not a regular file");
  }
  if (info.st_uid != ::geteuid()) {
    return PermissionDenied("the token file " + path.string() +
                            " belongs to another user; it must be yours alone");
  }
  if ((info.st_mode & 077) != 0) {
    return PermissionDenied("the token file " + path.string() +
                            " is open to others; make it yours alone: chmod 600 " + path.string());
  }
  std::array<char, kFileMaxRead> buffer{};
  size_t size = 0;
  while (size < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + size, buffer.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      sodium_memzero(buffer.data(), buffer.size());
      return IoError(Describe(path, errno));
    }
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  if (size == WebToken::kHexSize + 1 && buffer[WebToken::kHexSize] == '\n') --size;
  Result<WebToken> token = WebToken::FromText(std::string_view(buffer.data(), size));
  sodium_memzero(buffer.data(), buffer.size());
  if (!token.ok()) {
    return InvalidArgument("the token file " + path.string() +
                           " does not hold a token (64 hex digits); remove it for a new one");
  }
  return token;
}

// Writes a fresh token under a temporary name, syncs it, then links it to `path`
// (link() never replaces a file another run wrote meanwhile) and syncs the directory.
Result<WebToken> CreateTokenFile(const std::filesystem::path& path) {
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  std::string temp = (dir / ".inmost-web-token-XXXXXX").string();
  FileDescriptor fd(::mkstemp(temp.data()));  // Mode 0600.
  if (fd.get() < 0) return IoError(Describe(path, errno));
  WebToken token = WebToken::Fresh();
  std::string line(token.text());
  line.push_back('\n');
  const ssize_t n = ::write(fd.get(), line.data(), line.size());
  int error = n < 0 ? errno : EIO;  // A short write to a fresh 65-byte file: a full disk.
  bool written = n == static_cast<ssize_t>(line.size());
  sodium_memzero(line.data(), line.size());
  if (written && ::fsync(fd.get()) != 0) {
    written = false;
    error = errno;
  }
  if (written && ::link(temp.c_str(), path.c_str()) != 0) {
    written = false;
    error = errno;
  }
  ::unlink(temp.c_str());
  if (!written && error == EEXIST) return AlreadyExists(Describe(path, error));
  if (!written) return IoError(Describe(path, error));
  FileDescriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) return IoError(Describe(dir, errno));
  return token;
}

}  // namespace

Result<WebToken> LoadOrCreateTokenFile(const std::filesystem::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() >= 0) return ReadTokenFile(path, fd.get());
  if (errno == ELOOP) {
    return InvalidArgument("the token file " + path.string() + " is a symbolic link");
  }
  if (errno != ENOENT) return IoError(Describe(path, errno));
  Result<WebToken> created = CreateTokenFile(path);
  // Another run created it first: read that one.
  if (!created.ok() && created.status().code() == Code::kAlreadyExists) {
    FileDescriptor again(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (again.get() >= 0) return ReadTokenFile(path, again.get());
  }
  return created;
}

}  // namespace inmost::web
