// The layout of inmost's data directory: the one place that knows which file lives
// where, and that the directory must be private to its owner. It never reads or
// writes keys or records, and never loosens the permissions a user has set.
#pragma once

#include <filesystem>
#include <functional>

#include "inmost/status.h"

namespace inmost::store {

class DataDir {
 public:
  // A data directory rooted at `root`; nothing is touched on disk until a call asks.
  explicit DataDir(std::filesystem::path root);

  // The root to use when none is given: $INMOST_DATA_DIR, else the state directory
  // systemd made for the service ($STATE_DIRECTORY, set by StateDirectory=; the first
  // one if it names several), else $XDG_DATA_HOME/inmost, else
  // $HOME/.local/share/inmost. Empty variables count as unset, and a relative
  // $XDG_DATA_HOME or $STATE_DIRECTORY is ignored. Fails when none of them is set.
  static Result<std::filesystem::path> DefaultRoot(
      const std::function<const char*(const char*)>& getenv);

  const std::filesystem::path& root() const { return root_; }
  // The LevelDB directory of the sealed store.
  std::filesystem::path store_path() const;
  // The raw 32-byte storage key (mode 0600), used when no passphrase is set.
  std::filesystem::path key_file_path() const;
  // The storage key sealed under a passphrase (Argon2id + XChaCha20-Poly1305).
  std::filesystem::path wrapped_key_path() const;
  // The Unix socket on which the daemon serves the control API.
  std::filesystem::path control_socket_path() const;
  // The folder of received files, each sealed chunk by chunk (blob_file.h).
  std::filesystem::path files_path() const;
  // The folder of files put in over the control socket and not yet sent, each sealed
  // chunk by chunk under a key of its own (core/files/uploads.h).
  std::filesystem::path uploads_path() const;
  // The home of a tor that inmostd launches (tor = launch): its torrc, data and log.
  std::filesystem::path tor_path() const;

  // Creates the root and any missing parents with mode 0700 (like `mkdir -p -m 700`),
  // syncing each new one into its parent so it survives a power cut. An existing
  // directory is left as it is; CheckPrivate() judges its mode.
  Status CreatePrivate() const;
  // Ok when the root is a directory owned by this user that group and others cannot
  // access; otherwise PermissionDenied (with the fix), NotFound or FailedPrecondition.
  Status CheckPrivate() const;
  // True when the store and a storage key (plain or wrapped) exist: init completed.
  bool IsInitialized() const;

 private:
  std::filesystem::path root_;
};

}  // namespace inmost::store
