#include "daemon/store/durable_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "daemon/store/private_file.h"

namespace inmost::store {

Status SyncDirectory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open directory " + DescribeFileError(dir, errno));
  if (::fsync(fd.get()) != 0) {
    return IoError("cannot sync directory " + DescribeFileError(dir, errno));
  }
  return Status::Ok();
}

Status SyncParentDirectory(const std::filesystem::path& path) {
  std::filesystem::path dir = path.parent_path();
  return SyncDirectory(dir.empty() ? std::filesystem::path(".") : dir);
}

Status CreateDirectoryDurably(const std::filesystem::path& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) == 0) return SyncParentDirectory(dir);
  const int err = errno;
  struct stat st {};
  if (err == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::Ok();
  }
  if (err == EEXIST) {
    return FailedPrecondition(dir.string() +
                              " exists but is not a directory; move it away so inmost can "
                              "create its folder there");
  }
  return IoError("cannot create directory " + DescribeFileError(dir, err));
}

}  // namespace inmost::store
