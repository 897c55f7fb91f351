#include "daemon/store/unmapped_env.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "daemon/store/durable_dir.h"

namespace inmost::store {
namespace {

leveldb::Status ReadError(const std::string& name, int error) {
  return leveldb::Status::IOError(name, std::strerror(error));
}

// A table file read with pread: safe for concurrent reads, as LevelDB requires.
class PreadFile final : public leveldb::RandomAccessFile {
 public:
  PreadFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~PreadFile() override { ::close(fd_); }

  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        *result = leveldb::Slice(scratch, 0);
        return ReadError(name_, errno);
      }
      if (got == 0) break;  // The end of the file: the caller sees a short read.
      done += static_cast<size_t>(got);
    }
    *result = leveldb::Slice(scratch, done);
    return leveldb::Status::OK();
  }

 private:
  std::string name_;
  int fd_;
};

leveldb::Status SyncFolderOf(const std::string& name) {
  Status synced = SyncParentDirectory(std::filesystem::path(name));
  if (!synced.ok()) return leveldb::Status::IOError(name, synced.message());
  return leveldb::Status::OK();
}

// `created` is what creating `file` named `name` returned: the file is kept only once
// its name is durable too.
leveldb::Status KeepIfNamed(leveldb::Status created, const std::string& name,
                            leveldb::WritableFile** file) {
  if (!created.ok()) return created;
  leveldb::Status s = SyncFolderOf(name);
  if (!s.ok()) {
    delete *file;
    *file = nullptr;
  }
  return s;
}

}  // namespace

leveldb::Status UnmappedEnv::NewWritableFile(const std::string& name,
                                             leveldb::WritableFile** file) {
  return KeepIfNamed(target()->NewWritableFile(name, file), name, file);
}

leveldb::Status UnmappedEnv::NewAppendableFile(const std::string& name,
                                               leveldb::WritableFile** file) {
  return KeepIfNamed(target()->NewAppendableFile(name, file), name, file);
}

leveldb::Status UnmappedEnv::RenameFile(const std::string& from, const std::string& to) {
  leveldb::Status s = target()->RenameFile(from, to);
  if (!s.ok()) return s;
  return SyncFolderOf(to);
}

leveldb::Status UnmappedEnv::NewRandomAccessFile(const std::string& name,
                                                 leveldb::RandomAccessFile** file) {
  *file = nullptr;
  int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ReadError(name, errno);
  *file = new PreadFile(name, fd);
  return leveldb::Status::OK();
}

}  // namespace inmost::store
