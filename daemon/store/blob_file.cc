#include "daemon/store/blob_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "daemon/crypto/file_cipher.h"
#include "daemon/store/durable_dir.h"

namespace inmost::store {
namespace {

off_t Offset(uint64_t index) {
  return static_cast<off_t>(index * crypto::kSealedChunkSize);
}

}  // namespace

Result<std::shared_ptr<BlobFile>> BlobFile::Open(const std::filesystem::path& path, bool create) {
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  UniqueFd fd(::open(path.c_str(), flags, kPrivateFileMode));
  if (fd.get() < 0) return IoError("cannot open " + DescribeFileError(path, errno));
  if (create) INMOST_RETURN_IF_ERROR(SetPrivateMode(fd.get(), path));
  return std::make_shared<BlobFile>(std::move(fd), path, create);
}

Status BlobFile::WriteChunk(uint64_t index, std::string_view sealed) {
  size_t done = 0;
  while (done < sealed.size()) {
    ssize_t n = ::pwrite(fd_.get(), sealed.data() + done, sealed.size() - done,
                         Offset(index) + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("cannot write " + DescribeFileError(path_, n < 0 ? errno : EIO));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> BlobFile::ReadChunk(uint64_t index, size_t length) const {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_.get(), out.data() + done, length - done,
                        Offset(index) + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read " + DescribeFileError(path_, errno));
    if (n == 0) return Corruption(path_.string() + " ends before chunk " + std::to_string(index));
    done += static_cast<size_t>(n);
  }
  return out;
}

Status BlobFile::Sync() {
  if (::fdatasync(fd_.get()) != 0) return IoError("cannot sync " + DescribeFileError(path_, errno));
  if (!name_synced_.load()) {
    INMOST_RETURN_IF_ERROR(SyncParentDirectory(path_));
    name_synced_.store(true);
  }
  return Status::Ok();
}

Status BlobFile::Truncate(uint64_t chunks) {
  if (::ftruncate(fd_.get(), Offset(chunks)) != 0) {
    return IoError("cannot truncate " + DescribeFileError(path_, errno));
  }
  return Status::Ok();
}

uint64_t BlobFile::size() const {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace inmost::store
