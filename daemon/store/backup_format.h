// The layout of a backup archive, shared by its writer (backup_archive.cc) and its
// reader (backup_restore.cc): the clear header, the keys derived from the passphrase,
// and how records and received files are framed in the stream. It never does I/O of its
// own beyond the stream it is handed, and never puts a record or key in an error.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "daemon/crypto/secret_bytes.h"
#include "daemon/store/backup_stream.h"
#include "daemon/store/storage_key.h"
#include "inmost/status.h"

namespace inmost::store::backup {

// ---- archive format ----------------------------------------------------------------
// All integers big-endian. The clear header is authenticated by the first chunk.
//   magic "INMOSTBK" | format version u32 | store schema version u32 | algorithm u32 |
//   opslimit u64 | memlimit u64 | salt[16] | passphrase check[16]
// then the stream (backup_stream.h), whose plaintext is the records, back to back and
// cut into chunks anywhere: key size u32 | key | value size u32 | value.
// Version 2 adds received files after the records, as records of their own: key
// kFilePrefix | file name (32 hex digits) | offset u64, value: the file's bytes there
// (no store key starts with a NUL). Version 1 archives are read as before.
// The schema version is the store's when it was written; a restore migrates an older
// one (migrations.h).
inline constexpr std::string_view kMagic = "INMOSTBK";
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint32_t kOldestFormatVersion = 1;
inline constexpr std::string_view kFilePrefix{"\0file/", 6};
inline constexpr size_t kFileNameSize = 32;
inline constexpr size_t kFileKeySize = kFilePrefix.size() + kFileNameSize + sizeof(uint64_t);
inline constexpr size_t kFilePieceSize = size_t{1} << 20;
// Derived from the passphrase beside the stream key, so a wrong passphrase is told
// apart from a damaged stream. It costs a guesser the same Argon2id run as the stream.
inline constexpr size_t kCheckSize = 16;
inline constexpr size_t kVersionOffset = kMagic.size();
inline constexpr size_t kSchemaOffset = kVersionOffset + sizeof(uint32_t);
inline constexpr size_t kAlgorithmOffset = kSchemaOffset + sizeof(uint32_t);
inline constexpr size_t kOpsLimitOffset = kAlgorithmOffset + sizeof(uint32_t);
inline constexpr size_t kMemLimitOffset = kOpsLimitOffset + sizeof(uint64_t);
inline constexpr size_t kSaltOffset = kMemLimitOffset + sizeof(uint64_t);
inline constexpr size_t kCheckOffset = kSaltOffset + kKdfSaltSize;
inline constexpr size_t kHeaderSize = kCheckOffset + kCheckSize;
using Header = std::array<uint8_t, kHeaderSize>;

// Keys under this prefix belong to the store itself; the new store writes its own.
inline constexpr std::string_view kStoreOwnPrefix = "meta/";
// Keys of view-once messages and files not yet viewed, and outgoing items holding
// them until the partner has them (core/view_once.h): a backup never holds them, so a
// restored copy cannot show such a message a second time.
inline constexpr std::string_view kViewOnceKeyPrefix = "vk/";
// Far above any record inmost writes; a larger one is refused rather than archived,
// so every archive written can be restored.
inline constexpr uint32_t kMaxKeySize = uint32_t{64} << 10;
inline constexpr uint32_t kMaxValueSize = uint32_t{16} << 20;

// A new header for an archive of a store at `schema_version`, with a fresh salt; the
// passphrase check is filled in once the keys are derived.
Header NewHeader(const KdfLimits& limits, uint32_t schema_version);

// The header of `archive` (`file_size` bytes), read through `reader`. A file that is
// not an archive, or names an implausible key derivation, is Corruption; a format or
// a schema newer than this build reads (`latest_schema`) is Unsupported.
Result<Header> ReadHeader(BackupStreamReader& reader, const std::filesystem::path& archive,
                          off_t file_size, uint32_t latest_schema);

// The store schema version the header records.
uint32_t SchemaVersionOf(const Header& header);

// The stream key, and the check that tells a wrong passphrase, both derived from the
// passphrase with the header's salt and limits.
struct ArchiveKeys {
  crypto::SecretBytes stream_key;
  crypto::SecretBytes check;
};
Result<ArchiveKeys> DeriveArchiveKeys(const crypto::SecretBytes& passphrase, const Header& header);

// Appends one framed record; ResourceExhausted for one too large to restore.
Status AppendRecord(BackupStreamWriter& writer, std::string_view key, std::string_view value);
// Reads a record's key or value size; Corruption when it is above `max`.
Result<uint32_t> ReadSize(BackupStreamReader& reader, uint32_t max,
                          const std::filesystem::path& archive);

// Whether `name` is a received file's name: 32 hex digits. A view-once file's blob
// has ".once" after them, so it is never archived.
bool IsFileName(std::string_view name);
// Whether anything has the name `path`, even a dangling symbolic link.
bool NameTaken(const std::filesystem::path& path);

}  // namespace inmost::store::backup
