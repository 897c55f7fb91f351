// The encrypted backup archive: every record of a sealed store and the received files
// beside it, streamed under a key derived from a passphrase (Argon2id), and a new data
// directory made from it (written in backup_archive.cc, restored in backup_restore.cc,
// laid out as backup_format.h says).
// It never writes a record or key in the clear, nor leaves a half archive or store behind.
#pragma once

#include <cstdint>
#include <filesystem>

#include "daemon/crypto/secret_bytes.h"
#include "daemon/store/migrations.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "inmost/status.h"

namespace inmost::store {

// Shorter passphrases are refused when writing: the archive may travel far from home.
inline constexpr size_t kMinBackupPassphraseSize = 8;

struct BackupStats {
  uint64_t records = 0;  // Records archived or restored ("meta/" ones are not counted).
  uint64_t bytes = 0;    // The archive's size on disk.
  uint64_t files = 0;    // Received files archived or restored.
};

// Writes every record of `store` but its own "meta/" ones, from one consistent
// snapshot, then every received file in `files_dir` (when given: their chunks, still
// sealed under their file keys), into the new file `path` (mode 0600), sealed under
// `passphrase` (at least kMinBackupPassphraseSize bytes). The archive appears under
// `path` only once complete and synced. An existing `path` is AlreadyExists; nothing
// is ever overwritten.
Result<BackupStats> WriteBackup(const SealedStore& store, const std::filesystem::path& path,
                                const crypto::SecretBytes& passphrase,
                                const KdfLimits& limits = KdfLimits::Interactive(),
                                const std::filesystem::path& files_dir = {});

// Makes the new data directory `data_dir` (mode 0700, a new 0600 storage key file, a new
// store, its received files) holding everything in `archive`, synced before returning. An archive
// of an older schema is restored as it was written, then brought to `migrations.latest()` by the
// same steps a store takes at open. A directory that already holds a store or key is
// AlreadyExists. A wrong passphrase is AuthenticationFailed; a truncated or altered archive is
// Corruption; an archive from a newer inmost is Unsupported. On any failure, whatever it created is
// removed again.
Result<BackupStats> RestoreBackup(const std::filesystem::path& archive,
                                  const crypto::SecretBytes& passphrase,
                                  const std::filesystem::path& data_dir,
                                  const Migrations& migrations = Migrations::ThisBuild());

}  // namespace inmost::store
