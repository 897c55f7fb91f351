#include "daemon/store/storage_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/durable_dir.h"
#include "daemon/store/private_file.h"

namespace inmost::store {

namespace {

// ---- wrapped-key file format -----------------------------------------------------
// All integers big-endian. The header (magic through salt) is the AEAD's associated
// data, so no field can be changed without the open failing.
//   magic "INMOSTWK" | version u32 | algorithm u32 | opslimit u64 | memlimit u64 |
//   salt[16] | nonce[24] | sealed storage key [32 + 16-byte tag]
constexpr std::string_view kWrappedMagic = "INMOSTWK";
constexpr uint32_t kWrappedFormatVersion = 1;
constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kMagicOffset = 0;
constexpr size_t kVersionOffset = kMagicOffset + kWrappedMagic.size();
constexpr size_t kAlgorithmOffset = kVersionOffset + sizeof(uint32_t);
constexpr size_t kOpsLimitOffset = kAlgorithmOffset + sizeof(uint32_t);
constexpr size_t kMemLimitOffset = kOpsLimitOffset + sizeof(uint64_t);
constexpr size_t kSaltOffset = kMemLimitOffset + sizeof(uint64_t);
constexpr size_t kHeaderSize = kSaltOffset + kKdfSaltSize;
constexpr size_t kNonceOffset = kHeaderSize;
constexpr size_t kSealedKeyOffset = kNonceOffset + kNonceSize;
constexpr size_t kSealedKeySize = kStorageKeySize + kTagSize;
constexpr size_t kWrappedFileSize = kSealedKeyOffset + kSealedKeySize;
// Reading stops here: a file this large is not a wrapped key.
constexpr size_t kMaxWrappedFileRead = 4096;

// Upper bounds on stored Argon2id costs, so a garbled file cannot make the daemon
// try to allocate terabytes or spin for hours. Far above libsodium's SENSITIVE limits.
constexpr uint64_t kMaxOpsLimit = 64;
constexpr uint64_t kMaxMemLimit = uint64_t{16} << 30;  // 16 GiB.

static_assert(kStorageKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kKdfSaltSize == crypto_pwhash_SALTBYTES);

// ---- file helpers ----------------------------------------------------------------

// Fills `out` from `fd`; a file that ends first is Corruption.
Status ReadExactly(int fd, std::span<uint8_t> out, const std::filesystem::path& path) {
  INMOST_ASSIGN_OR_RETURN(size_t n, ReadUpTo(fd, out, path));
  if (n != out.size()) {
    return Corruption(path.string() + " is shorter than its size said; it is damaged");
  }
  return Status::Ok();
}

// Writes `bytes` to the new file `path` with mode 0600 and syncs it and its directory.
// Refuses to replace an existing file; removes its own partial file on failure.
Status WriteNewPrivateFile(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  UniqueFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, kPrivateFileMode));
  if (fd.get() < 0) {
    if (errno == EEXIST) {
      return AlreadyExists(path.string() + " already exists; inmost never overwrites a key file");
    }
    return IoError("cannot create " + DescribeFileError(path, errno));
  }
  Status status = [&]() -> Status {
    // The umask may have cleared owner bits; make the mode exactly 0600.
    INMOST_RETURN_IF_ERROR(SetPrivateMode(fd.get(), path));
    INMOST_RETURN_IF_ERROR(WriteAll(fd.get(), bytes, path));
    if (::fsync(fd.get()) != 0) return IoError("cannot sync " + DescribeFileError(path, errno));
    if (!fd.Close()) return IoError("cannot close " + DescribeFileError(path, errno));
    return SyncParentDirectory(path);
  }();
  if (!status.ok()) ::unlink(path.c_str());
  return status;
}

// Opens `path` for reading, checks that it is a regular file owned by this user and
// fills `st`. Checks use the open descriptor, so the file cannot be swapped between.
Result<UniqueFd> OpenOwnFile(const std::filesystem::path& path, struct stat& st) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return NotFound("no storage key at " + path.string());
    return IoError("cannot open " + DescribeFileError(path, errno));
  }
  if (::fstat(fd.get(), &st) != 0) {
    return IoError("cannot inspect " + DescribeFileError(path, errno));
  }
  if (!S_ISREG(st.st_mode)) return FailedPrecondition(path.string() + " is not a regular file");
  if (st.st_uid != ::geteuid()) {
    return PermissionDenied(path.string() + " belongs to another user (uid " +
                            std::to_string(st.st_uid) + "); inmost only uses its own key files");
  }
  return fd;
}

// ---- key wrapping ----------------------------------------------------------------

Status CheckPassphrase(const crypto::SecretBytes& passphrase) {
  if (passphrase.empty()) return InvalidArgument("the passphrase must not be empty");
  return Status::Ok();
}

}  // namespace

KdfLimits KdfLimits::Interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

KdfLimits KdfLimits::Minimum() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Status CheckKdfLimits(const KdfLimits& limits) {
  if (limits.opslimit < crypto_pwhash_OPSLIMIT_MIN || limits.opslimit > kMaxOpsLimit ||
      limits.memlimit < crypto_pwhash_MEMLIMIT_MIN || limits.memlimit > kMaxMemLimit) {
    return InvalidArgument("Argon2id limits are outside the range inmost accepts");
  }
  return Status::Ok();
}

Result<crypto::SecretBytes> DeriveKeyFromPassphrase(const crypto::SecretBytes& passphrase,
                                                    std::span<const uint8_t> salt,
                                                    const KdfLimits& limits) {
  if (salt.size() != kKdfSaltSize) {
    return InvalidArgument("the Argon2id salt must be " + std::to_string(kKdfSaltSize) + " bytes");
  }
  INMOST_RETURN_IF_ERROR(CheckKdfLimits(limits));
  if (sodium_init() < 0) return IoError("libsodium could not initialize");
  crypto::SecretBytes key(kStorageKeySize);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), salt.data(), limits.opslimit,
                    static_cast<size_t>(limits.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return ResourceExhausted(
        "not enough memory to derive the key from the passphrase (Argon2id needs " +
        std::to_string(limits.memlimit >> 20) + " MiB)");
  }
  return key;
}

Result<crypto::SecretBytes> CreateKeyFile(const std::filesystem::path& path) {
  crypto::SecretBytes key = crypto::SecretBytes::Random(kStorageKeySize);
  INMOST_RETURN_IF_ERROR(WriteNewPrivateFile(path, key.span()));
  return key;
}

Result<crypto::SecretBytes> LoadKeyFile(const std::filesystem::path& path) {
  struct stat st;
  INMOST_ASSIGN_OR_RETURN(UniqueFd fd, OpenOwnFile(path, st));
  if ((st.st_mode & kGroupOtherBits) != 0) {
    return PermissionDenied("storage key " + path.string() + " is readable by other users (mode " +
                            OctalMode(st.st_mode) + "); protect it with: chmod 600 " +
                            path.string());
  }
  if (st.st_size != static_cast<off_t>(kStorageKeySize)) {
    return Corruption("storage key " + path.string() + " has " + std::to_string(st.st_size) +
                      " bytes instead of " + std::to_string(kStorageKeySize) +
                      "; the file is damaged");
  }
  crypto::SecretBytes key(kStorageKeySize);
  INMOST_RETURN_IF_ERROR(ReadExactly(fd.get(), key.span(), path));
  return key;
}

Result<crypto::SecretBytes> CreateWrapped(const std::filesystem::path& path,
                                          const crypto::SecretBytes& passphrase,
                                          const KdfLimits& limits) {
  crypto::SecretBytes key = crypto::SecretBytes::Random(kStorageKeySize);
  INMOST_RETURN_IF_ERROR(WrapKey(path, key, passphrase, limits));
  return key;
}

Status WrapKey(const std::filesystem::path& path, const crypto::SecretBytes& storage_key,
               const crypto::SecretBytes& passphrase, const KdfLimits& limits) {
  if (storage_key.size() != kStorageKeySize) {
    return InvalidArgument("the storage key must be 32 bytes");
  }
  INMOST_RETURN_IF_ERROR(CheckPassphrase(passphrase));
  INMOST_RETURN_IF_ERROR(CheckKdfLimits(limits));
  if (sodium_init() < 0) return IoError("libsodium could not initialize");

  std::array<uint8_t, kWrappedFileSize> file{};
  std::memcpy(file.data() + kMagicOffset, kWrappedMagic.data(), kWrappedMagic.size());
  PutBigEndian<uint32_t>(file.data() + kVersionOffset, kWrappedFormatVersion);
  PutBigEndian<uint32_t>(file.data() + kAlgorithmOffset, crypto_pwhash_ALG_ARGON2ID13);
  PutBigEndian<uint64_t>(file.data() + kOpsLimitOffset, limits.opslimit);
  PutBigEndian<uint64_t>(file.data() + kMemLimitOffset, limits.memlimit);
  randombytes_buf(file.data() + kSaltOffset, kKdfSaltSize);
  randombytes_buf(file.data() + kNonceOffset, kNonceSize);

  INMOST_ASSIGN_OR_RETURN(
      crypto::SecretBytes wrapping_key,
      DeriveKeyFromPassphrase(passphrase, std::span(file.data() + kSaltOffset, kKdfSaltSize),
                              limits));
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      file.data() + kSealedKeyOffset, nullptr, storage_key.data(), storage_key.size(), file.data(),
      kHeaderSize, nullptr, file.data() + kNonceOffset, wrapping_key.data());
  return WriteNewPrivateFile(path, file);
}

Result<crypto::SecretBytes> LoadWrapped(const std::filesystem::path& path,
                                        const crypto::SecretBytes& passphrase) {
  INMOST_RETURN_IF_ERROR(CheckPassphrase(passphrase));
  if (sodium_init() < 0) return IoError("libsodium could not initialize");
  struct stat st;
  INMOST_ASSIGN_OR_RETURN(UniqueFd fd, OpenOwnFile(path, st));
  const std::string damaged = "wrapped storage key " + path.string();
  if (st.st_size < static_cast<off_t>(kAlgorithmOffset) ||
      st.st_size > static_cast<off_t>(kMaxWrappedFileRead)) {
    return Corruption(damaged + " has an impossible size; the file is truncated or damaged");
  }
  std::vector<uint8_t> file(static_cast<size_t>(st.st_size));
  INMOST_RETURN_IF_ERROR(ReadExactly(fd.get(), file, path));

  // Magic and version come first: a newer format may have another size.
  if (std::memcmp(file.data() + kMagicOffset, kWrappedMagic.data(), kWrappedMagic.size()) != 0) {
    return Corruption(damaged + " is not an inmost wrapped key file (bad magic)");
  }
  const uint32_t version = GetBigEndian<uint32_t>(file.data() + kVersionOffset);
  if (version != kWrappedFormatVersion) {
    return Unsupported(damaged + " uses format version " + std::to_string(version) +
                       "; this build reads version " + std::to_string(kWrappedFormatVersion) +
                       ": upgrade inmost");
  }
  if (file.size() != kWrappedFileSize) {
    return Corruption(damaged + " has " + std::to_string(file.size()) + " bytes instead of " +
                      std::to_string(kWrappedFileSize) + "; the file is truncated or damaged");
  }
  if (GetBigEndian<uint32_t>(file.data() + kAlgorithmOffset) != crypto_pwhash_ALG_ARGON2ID13) {
    return Corruption(damaged + " names an unknown key-derivation algorithm");
  }
  const KdfLimits limits{GetBigEndian<uint64_t>(file.data() + kOpsLimitOffset),
                         GetBigEndian<uint64_t>(file.data() + kMemLimitOffset)};
  if (!CheckKdfLimits(limits).ok()) {
    return Corruption(damaged + " holds implausible Argon2id limits; the file is damaged");
  }

  INMOST_ASSIGN_OR_RETURN(
      crypto::SecretBytes wrapping_key,
      DeriveKeyFromPassphrase(passphrase, std::span(file.data() + kSaltOffset, kKdfSaltSize),
                              limits));
  crypto::SecretBytes key(kStorageKeySize);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          key.data(), nullptr, nullptr, file.data() + kSealedKeyOffset, kSealedKeySize, file.data(),
          kHeaderSize, file.data() + kNonceOffset, wrapping_key.data()) != 0) {
    // A damaged ciphertext looks the same, but a mistyped passphrase is far likelier.
    return AuthenticationFailed("wrong passphrase");
  }
  return key;
}

}  // namespace inmost::store
