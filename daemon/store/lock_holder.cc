#include "daemon/store/lock_holder.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

namespace inmost::store {

std::optional<LockHolder> FindLockHolder(const std::filesystem::path& lock_file) {
  int fd = ::open(lock_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock query {};
  query.l_type = F_WRLCK;  // Would a write lock conflict? Then F_GETLK names the holder.
  query.l_whence = SEEK_SET;
  const bool asked = ::fcntl(fd, F_GETLK, &query) == 0;
  ::close(fd);
  if (!asked || query.l_type == F_UNLCK || query.l_pid <= 0) return std::nullopt;
  LockHolder holder{query.l_pid, {}};
  std::ifstream comm("/proc/" + std::to_string(query.l_pid) + "/comm");
  std::getline(comm, holder.program);
  return holder;
}

}  // namespace inmost::store
