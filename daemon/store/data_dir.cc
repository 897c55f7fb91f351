#include "daemon/store/data_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "daemon/store/durable_dir.h"
#include "daemon/store/private_file.h"
#include "inmost/data_dir.h"

namespace inmost::store {

namespace {

constexpr char kStoreDirName[] = "store";
constexpr char kKeyFileName[] = "storage.key";
constexpr char kWrappedKeyFileName[] = "storage.key.wrapped";
// A LevelDB directory holds this file once the database exists.
constexpr char kLevelDbCurrentFile[] = "CURRENT";

bool IsDirectory(const std::filesystem::path& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool Exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace

DataDir::DataDir(std::filesystem::path root) : root_(std::move(root)) {}

Result<std::filesystem::path> DataDir::DefaultRoot(
    const std::function<const char*(const char*)>& getenv) {
  // Only the daemon looks at $STATE_DIRECTORY: systemd sets it for the service alone,
  // so clients keep to DefaultDataDir() and are pointed at it with --data-dir.
  const char* chosen = getenv("INMOST_DATA_DIR");
  const char* state = getenv("STATE_DIRECTORY");
  if ((chosen == nullptr || *chosen == '\0') && state != nullptr && state[0] == '/') {
    std::string_view dirs(state);
    return std::filesystem::path(dirs.substr(0, dirs.find(':')));
  }
  INMOST_ASSIGN_OR_RETURN(auto root, DefaultDataDir(getenv));
  return std::filesystem::path(root);
}

std::filesystem::path DataDir::store_path() const {
  return root_ / kStoreDirName;
}
std::filesystem::path DataDir::key_file_path() const {
  return root_ / kKeyFileName;
}
std::filesystem::path DataDir::wrapped_key_path() const {
  return root_ / kWrappedKeyFileName;
}
std::filesystem::path DataDir::files_path() const {
  return root_ / "files";
}
std::filesystem::path DataDir::uploads_path() const {
  return root_ / "uploads";
}
std::filesystem::path DataDir::tor_path() const {
  return root_ / "tor";
}

std::filesystem::path DataDir::control_socket_path() const {
  return ControlSocketPath(root_.string());
}

Status DataDir::CreatePrivate() const {
  if (root_.empty()) return InvalidArgument("the data directory path is empty");
  std::filesystem::path partial;
  for (const auto& component : root_) {
    partial /= component;
    if (::mkdir(partial.c_str(), kPrivateDirMode) == 0) {
      // The new folder's name is durable before anything is created in it.
      INMOST_RETURN_IF_ERROR(SyncParentDirectory(partial));
      continue;
    }
    const int err = errno;
    // Existing directories (including ones we may not write, such as /home) are fine.
    if (IsDirectory(partial)) continue;
    return IoError("cannot create directory " + partial.string() + ": " + std::strerror(err));
  }
  return Status::Ok();
}

Status DataDir::CheckPrivate() const {
  struct stat st;
  if (::stat(root_.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return NotFound("data directory " + root_.string() + " does not exist");
    return IoError("cannot inspect data directory " + root_.string() + ": " + std::strerror(err));
  }
  if (!S_ISDIR(st.st_mode)) {
    return FailedPrecondition("data directory " + root_.string() + " is not a directory");
  }
  if (st.st_uid != ::geteuid()) {
    return PermissionDenied("data directory " + root_.string() + " belongs to another user (uid " +
                            std::to_string(st.st_uid) +
                            "); inmost only uses a directory owned by the user running it");
  }
  if ((st.st_mode & kGroupOtherBits) != 0) {
    return PermissionDenied("data directory " + root_.string() +
                            " is accessible to other users (mode " + OctalMode(st.st_mode) +
                            "); make it private with: chmod 700 " + root_.string());
  }
  return Status::Ok();
}

bool DataDir::IsInitialized() const {
  return Exists(store_path() / kLevelDbCurrentFile) &&
         (Exists(key_file_path()) || Exists(wrapped_key_path()));
}

}  // namespace inmost::store
