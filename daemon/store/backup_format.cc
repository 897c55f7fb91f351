#include "daemon/store/backup_format.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <span>
#include <string>
#include <system_error>

#include "daemon/crypto/bytes.h"
#include "daemon/store/migrations.h"
#include "daemon/store/private_file.h"

namespace inmost::store::backup {

namespace {

// Sub-keys of the Argon2id output (crypto_kdf).
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "inmostbk";
constexpr uint64_t kStreamKeyId = 1;
constexpr uint64_t kCheckId = 2;
// The Argon2id output is the master key for crypto_kdf.
static_assert(kStorageKeySize == crypto_kdf_KEYBYTES);

}  // namespace

Header NewHeader(const KdfLimits& limits, uint32_t schema_version) {
  Header header{};
  std::memcpy(header.data(), kMagic.data(), kMagic.size());
  PutBigEndian<uint32_t>(header.data() + kVersionOffset, kFormatVersion);
  PutBigEndian<uint32_t>(header.data() + kSchemaOffset, schema_version);
  PutBigEndian<uint32_t>(header.data() + kAlgorithmOffset, crypto_pwhash_ALG_ARGON2ID13);
  PutBigEndian<uint64_t>(header.data() + kOpsLimitOffset, limits.opslimit);
  PutBigEndian<uint64_t>(header.data() + kMemLimitOffset, limits.memlimit);
  randombytes_buf(header.data() + kSaltOffset, kKdfSaltSize);
  return header;
}

Result<Header> ReadHeader(BackupStreamReader& reader, const std::filesystem::path& archive,
                          off_t file_size, uint32_t latest_schema) {
  const std::string not_backup = archive.string() + " is not an inmost backup";
  Header header{};
  if (file_size < static_cast<off_t>(kSchemaOffset)) return Corruption(not_backup);
  INMOST_RETURN_IF_ERROR(reader.ReadHeader(std::span(header.data(), kSchemaOffset)));
  if (std::memcmp(header.data(), kMagic.data(), kMagic.size()) != 0) {
    return Corruption(not_backup + " (bad magic)");
  }
  // Version first: a newer format may have another header.
  const uint32_t version = GetBigEndian<uint32_t>(header.data() + kVersionOffset);
  if (version < kOldestFormatVersion || version > kFormatVersion) {
    return Unsupported("backup " + archive.string() + " uses format version " +
                       std::to_string(version) + "; this build reads version " +
                       std::to_string(kFormatVersion) + ": upgrade inmost");
  }
  INMOST_RETURN_IF_ERROR(reader.ReadHeader(std::span(header).subspan(kSchemaOffset)));
  const uint32_t schema = SchemaVersionOf(header);
  // An older schema is fine: the restored store is migrated.
  if (schema < kFirstSchemaVersion || schema > latest_schema) {
    return Unsupported("backup " + archive.string() + " holds records of schema version " +
                       std::to_string(schema) + "; this build reads versions " +
                       std::to_string(kFirstSchemaVersion) + " to " +
                       std::to_string(latest_schema) +
                       ": restore it with the newer inmost that wrote it (or a later one)");
  }
  if (GetBigEndian<uint32_t>(header.data() + kAlgorithmOffset) != crypto_pwhash_ALG_ARGON2ID13 ||
      !CheckKdfLimits({GetBigEndian<uint64_t>(header.data() + kOpsLimitOffset),
                       GetBigEndian<uint64_t>(header.data() + kMemLimitOffset)})
           .ok()) {
    return Corruption("backup " + archive.string() +
                      " names an unknown or implausible key derivation; it is damaged");
  }
  return header;
}

uint32_t SchemaVersionOf(const Header& header) {
  return GetBigEndian<uint32_t>(header.data() + kSchemaOffset);
}

Result<ArchiveKeys> DeriveArchiveKeys(const crypto::SecretBytes& passphrase, const Header& header) {
  const KdfLimits limits{GetBigEndian<uint64_t>(header.data() + kOpsLimitOffset),
                         GetBigEndian<uint64_t>(header.data() + kMemLimitOffset)};
  INMOST_ASSIGN_OR_RETURN(
      crypto::SecretBytes master,
      DeriveKeyFromPassphrase(passphrase, std::span(header.data() + kSaltOffset, kKdfSaltSize),
                              limits));
  ArchiveKeys keys{crypto::SecretBytes(kBackupStreamKeySize), crypto::SecretBytes(kCheckSize)};
  crypto_kdf_derive_from_key(keys.stream_key.data(), keys.stream_key.size(), kStreamKeyId,
                             kKdfContext, master.data());
  crypto_kdf_derive_from_key(keys.check.data(), keys.check.size(), kCheckId, kKdfContext,
                             master.data());
  return keys;
}

Status AppendRecord(BackupStreamWriter& writer, std::string_view key, std::string_view value) {
  if (key.size() > kMaxKeySize || value.size() > kMaxValueSize) {
    return ResourceExhausted("a record is too large to back up; the store may be damaged");
  }
  uint8_t size[sizeof(uint32_t)];
  PutBigEndian<uint32_t>(size, static_cast<uint32_t>(key.size()));
  INMOST_RETURN_IF_ERROR(writer.Append(size));
  INMOST_RETURN_IF_ERROR(writer.Append(crypto::AsBytes(key)));
  PutBigEndian<uint32_t>(size, static_cast<uint32_t>(value.size()));
  INMOST_RETURN_IF_ERROR(writer.Append(size));
  return writer.Append(crypto::AsBytes(value));
}

Result<uint32_t> ReadSize(BackupStreamReader& reader, uint32_t max,
                          const std::filesystem::path& archive) {
  uint8_t bytes[sizeof(uint32_t)];
  INMOST_RETURN_IF_ERROR(reader.Read(bytes));
  const uint32_t size = GetBigEndian<uint32_t>(bytes);
  if (size > max) {
    return Corruption("backup " + archive.string() +
                      " is damaged: a record has an impossible size");
  }
  return size;
}

bool IsFileName(std::string_view name) {
  return name.size() == kFileNameSize && std::all_of(name.begin(), name.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

bool NameTaken(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::symlink_status(path, ec));
}

}  // namespace inmost::store::backup
