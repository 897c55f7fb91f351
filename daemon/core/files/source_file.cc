#include "daemon/core/files/source_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "daemon/crypto/file_cipher.h"

namespace inmost::core {
namespace {

int64_t Nanoseconds(const struct timespec& ts) {
  constexpr int64_t kNanosPerSecond = 1000000000;
  return static_cast<int64_t>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

void Describe(const struct stat& st, records::OutgoingTransfer& record) {
  record.set_size(static_cast<uint64_t>(st.st_size));
  record.set_mtime_ns(Nanoseconds(st.st_mtim));
  record.set_ctime_ns(Nanoseconds(st.st_ctim));
  record.set_inode(st.st_ino);
  record.set_device(st.st_dev);
}

bool SameFile(const records::OutgoingTransfer& a, const records::OutgoingTransfer& b) {
  return a.size() == b.size() && a.mtime_ns() == b.mtime_ns() && a.ctime_ns() == b.ctime_ns() &&
         a.inode() == b.inode() && a.device() == b.device();
}

Status Changed(const std::string& path) {
  return FailedPrecondition(path +
                            " changed while it was being sent; send it again once it is "
                            "complete");
}

// A file the user named, where it lies.
class PathSource : public SourceFile {
 public:
  PathSource(store::UniqueFd fd, records::OutgoingTransfer record)
      : fd_(std::move(fd)), record_(std::move(record)) {}
  Status ReadChunk(uint64_t index, std::string& out) const override;

 private:
  Status CheckUnchanged() const;

  store::UniqueFd fd_;
  records::OutgoingTransfer record_;
};

}  // namespace

Result<std::unique_ptr<SourceFile>> SourceFile::Open(const std::filesystem::path& path,
                                                     records::OutgoingTransfer& record) {
  store::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ENOENT) return NotFound(path.string() + " does not exist");
    return PermissionDenied("the daemon cannot read " + store::DescribeFileError(path, err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return IoError(store::DescribeFileError(path, errno));
  if (!S_ISREG(st.st_mode)) return InvalidArgument(path.string() + " is not a regular file");
  record.set_path(path.string());
  Describe(st, record);
  return std::unique_ptr<SourceFile>(std::make_unique<PathSource>(std::move(fd), record));
}

Result<std::unique_ptr<SourceFile>> SourceFile::Reopen(const records::OutgoingTransfer& record) {
  records::OutgoingTransfer now;
  auto file = Open(record.path(), now);
  if (!file.ok()) {
    return FailedPrecondition(record.path() + " can no longer be read (" + file.status().message() +
                              ")");
  }
  if (!SameFile(now, record)) return Changed(record.path());
  return file;
}

Status PathSource::CheckUnchanged() const {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return IoError(store::DescribeFileError(record_.path(), errno));
  records::OutgoingTransfer now = record_;
  Describe(st, now);
  return SameFile(now, record_) ? Status::Ok() : Changed(record_.path());
}

Status PathSource::ReadChunk(uint64_t index, std::string& out) const {
  out.resize(crypto::ChunkLength(record_.size(), index));
  size_t done = 0;
  const auto offset = static_cast<off_t>(index * crypto::kChunkSize);
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd_.get(), out.data() + done, out.size() - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read " + store::DescribeFileError(record_.path(), errno));
    if (n == 0) return Changed(record_.path());  // Shorter than it was.
    done += static_cast<size_t>(n);
  }
  // After the read: a change during it shows in the file's times.
  return CheckUnchanged();
}

}  // namespace inmost::core
