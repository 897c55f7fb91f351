// The 32-byte storage key that seals every record at rest, kept either as a raw key
// file (mode 0600) or sealed under a passphrase. The key only ever lives in
// SecretBytes; it is never logged, and a file is never overwritten or loosened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::store {

// The storage key's size: an XChaCha20-Poly1305 key.
inline constexpr size_t kStorageKeySize = 32;

// Argon2id cost parameters. They are stored in the wrapped-key file, so a later
// build may choose other defaults and still open older files.
struct KdfLimits {
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;  // Bytes.

  // libsodium's INTERACTIVE limits: the default for a passphrase typed at startup.
  static KdfLimits Interactive();
  // libsodium's MIN limits: only for tests, which must run fast.
  static KdfLimits Minimum();
};

// The size of the salt DeriveKeyFromPassphrase takes (libsodium's crypto_pwhash_SALTBYTES).
inline constexpr size_t kKdfSaltSize = 16;

// Ok when `limits` lie between libsodium's minimum and inmost's bounds (64 passes,
// 16 GiB), so a garbled file cannot ask for hours of work or terabytes of memory;
// InvalidArgument otherwise.
Status CheckKdfLimits(const KdfLimits& limits);

// Derives a kStorageKeySize-byte key from `passphrase` and a kKdfSaltSize-byte `salt`
// with Argon2id under `limits`. Limits CheckKdfLimits refuses, or a salt of another size,
// are InvalidArgument; too little memory for `limits` is ResourceExhausted.
Result<crypto::SecretBytes> DeriveKeyFromPassphrase(const crypto::SecretBytes& passphrase,
                                                    std::span<const uint8_t> salt,
                                                    const KdfLimits& limits);

// Creates a random storage key and writes it to the new file `path` (mode 0600),
// syncing the file and its directory. Fails with AlreadyExists rather than overwrite.
Result<crypto::SecretBytes> CreateKeyFile(const std::filesystem::path& path);

// Reads the storage key from `path`. A file that group or others may access is refused
// with PermissionDenied; a file that is not exactly 32 bytes is Corruption.
Result<crypto::SecretBytes> LoadKeyFile(const std::filesystem::path& path);

// Creates a random storage key, seals it under `passphrase` and writes it to the new
// file `path` (mode 0600, synced). Fails with AlreadyExists rather than overwrite.
Result<crypto::SecretBytes> CreateWrapped(const std::filesystem::path& path,
                                          const crypto::SecretBytes& passphrase,
                                          const KdfLimits& limits = KdfLimits::Interactive());

// Seals the existing `storage_key` under `passphrase` into the new file `path`, for
// example to move from a key file to a passphrase. Never overwrites a file.
Status WrapKey(const std::filesystem::path& path, const crypto::SecretBytes& storage_key,
               const crypto::SecretBytes& passphrase,
               const KdfLimits& limits = KdfLimits::Interactive());

// Opens the wrapped key at `path` with `passphrase`, using the limits stored in the
// file. A wrong passphrase is AuthenticationFailed; a truncated or garbled file is
// Corruption; a file format from a newer inmost is Unsupported.
Result<crypto::SecretBytes> LoadWrapped(const std::filesystem::path& path,
                                        const crypto::SecretBytes& passphrase);

}  // namespace inmost::store
