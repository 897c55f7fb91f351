#include "daemon/store/backup_archive.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>  // renameat2
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "daemon/crypto/bytes.h"
#include "daemon/store/backup_stream.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/durable_dir.h"
#include "daemon/store/private_file.h"

namespace inmost::store {

namespace {

// ---- archive format ----------------------------------------------------------------
// All integers big-endian. The clear header is authenticated by the first chunk.
//   magic "INMOSTBK" | format version u32 | store schema version u32 | algorithm u32 |
//   opslimit u64 | memlimit u64 | salt[16] | passphrase check[16]
// then the stream (backup_stream.h), whose plaintext is the records, back to back and
// cut into chunks anywhere: key size u32 | key | value size u32 | value.
// Version 2 adds received files after the records, as records of their own: key
// kFilePrefix | file name (32 hex digits) | offset u64, value: the file's bytes there
// (no store key starts with a NUL). Version 1 archives are read as before.
constexpr std::string_view kMagic = "INMOSTBK";
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kOldestFormatVersion = 1;
constexpr std::string_view kFilePrefix{"\0file/", 6};
constexpr size_t kFileNameSize = 32;
constexpr size_t kFileKeySize = kFilePrefix.size() + kFileNameSize + sizeof(uint64_t);
constexpr size_t kFilePieceSize = size_t{1} << 20;
// Derived from the passphrase beside the stream key, so a wrong passphrase is told
// apart from a damaged stream. It costs a guesser the same Argon2id run as the stream.
constexpr size_t kCheckSize = 16;
constexpr size_t kVersionOffset = kMagic.size();
constexpr size_t kSchemaOffset = kVersionOffset + sizeof(uint32_t);
constexpr size_t kAlgorithmOffset = kSchemaOffset + sizeof(uint32_t);
constexpr size_t kOpsLimitOffset = kAlgorithmOffset + sizeof(uint32_t);
constexpr size_t kMemLimitOffset = kOpsLimitOffset + sizeof(uint64_t);
constexpr size_t kSaltOffset = kMemLimitOffset + sizeof(uint64_t);
constexpr size_t kCheckOffset = kSaltOffset + kKdfSaltSize;
constexpr size_t kHeaderSize = kCheckOffset + kCheckSize;
using Header = std::array<uint8_t, kHeaderSize>;

// Keys under this prefix belong to the store itself; the new store writes its own.
constexpr std::string_view kStoreOwnPrefix = "meta/";
// Far above any record inmost writes; a larger one is refused rather than archived,
// so every archive written can be restored.
constexpr uint32_t kMaxKeySize = uint32_t{64} << 10;
constexpr uint32_t kMaxValueSize = uint32_t{16} << 20;
// Restored records are written in synced batches of about this many bytes.
constexpr size_t kRestoreBatchBytes = size_t{1} << 20;

// Sub-keys of the Argon2id output (crypto_kdf).
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "inmostbk";
constexpr uint64_t kStreamKeyId = 1;
constexpr uint64_t kCheckId = 2;
// The Argon2id output is the master key for crypto_kdf.
static_assert(kStorageKeySize == crypto_kdf_KEYBYTES);

// ---- files -------------------------------------------------------------------------

bool Exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::symlink_status(path, ec));
}

// Gives the complete temp file its final name, unless something already has it.
Status PublishNoReplace(const std::filesystem::path& temp, const std::filesystem::path& path) {
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  int err = errno;
  if (err == EINVAL) {
    // The file system cannot rename without replacing (NFS, CIFS); link() also refuses
    // an existing name atomically.
    if (::link(temp.c_str(), path.c_str()) == 0) {
      ::unlink(temp.c_str());
      return Status::Ok();
    }
    err = errno;
  }
  if (err == EEXIST) return AlreadyExists(path.string() + " appeared while the backup was written");
  return IoError("cannot name the backup " + DescribeFileError(path, err));
}

// ---- keys --------------------------------------------------------------------------

struct ArchiveKeys {
  crypto::SecretBytes stream_key;
  crypto::SecretBytes check;
};

Result<ArchiveKeys> DeriveArchiveKeys(const crypto::SecretBytes& passphrase, const Header& header) {
  const KdfLimits limits{GetBigEndian<uint64_t>(header.data() + kOpsLimitOffset),
                         GetBigEndian<uint64_t>(header.data() + kMemLimitOffset)};
  Result<crypto::SecretBytes> master = DeriveKeyFromPassphrase(
      passphrase, std::span(header.data() + kSaltOffset, kKdfSaltSize), limits);
  if (!master.ok()) return master.status();
  ArchiveKeys keys{crypto::SecretBytes(kBackupStreamKeySize), crypto::SecretBytes(kCheckSize)};
  crypto_kdf_derive_from_key(keys.stream_key.data(), keys.stream_key.size(), kStreamKeyId,
                             kKdfContext, master->data());
  crypto_kdf_derive_from_key(keys.check.data(), keys.check.size(), kCheckId, kKdfContext,
                             master->data());
  return keys;
}

// ---- writing -----------------------------------------------------------------------

Header NewHeader(const KdfLimits& limits) {
  Header header{};
  std::memcpy(header.data(), kMagic.data(), kMagic.size());
  PutBigEndian<uint32_t>(header.data() + kVersionOffset, kFormatVersion);
  PutBigEndian<uint32_t>(header.data() + kSchemaOffset, kSchemaVersion);
  PutBigEndian<uint32_t>(header.data() + kAlgorithmOffset, crypto_pwhash_ALG_ARGON2ID13);
  PutBigEndian<uint64_t>(header.data() + kOpsLimitOffset, limits.opslimit);
  PutBigEndian<uint64_t>(header.data() + kMemLimitOffset, limits.memlimit);
  randombytes_buf(header.data() + kSaltOffset, kKdfSaltSize);
  return header;
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

// Streams every record but the store's own from one consistent scan.
Result<uint64_t> ArchiveRecords(const SealedStore& store, BackupStreamWriter& writer) {
  uint64_t records = 0;
  Status failed;
  Status scan = store.ForEach("", [&](std::string_view key, std::string_view value) {
    if (key.starts_with(kStoreOwnPrefix)) return true;
    failed = AppendRecord(writer, key, value);
    records += failed.ok() ? 1 : 0;
    return failed.ok();
  });
  INMOST_RETURN_IF_ERROR(failed);
  INMOST_RETURN_IF_ERROR(scan);
  return records;
}

bool IsFileName(std::string_view name) {
  return name.size() == kFileNameSize && std::all_of(name.begin(), name.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

// Streams every received file in `files_dir` (files/<32 hex digits>), piece by piece.
// A file deleted meanwhile is skipped; one still arriving goes as far as it is.
Result<uint64_t> ArchiveFiles(const std::filesystem::path& files_dir, BackupStreamWriter& writer) {
  uint64_t files = 0;
  std::error_code ec;
  std::string key(kFilePrefix);
  key.resize(kFileKeySize);
  std::string piece;
  for (const auto& entry : std::filesystem::directory_iterator(files_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!IsFileName(name) || !entry.is_regular_file(ec)) continue;
    UniqueFd in(::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) {
      if (errno == ENOENT) continue;
      return IoError("cannot read " + DescribeFileError(entry.path(), errno));
    }
    key.replace(kFilePrefix.size(), kFileNameSize, name);
    for (uint64_t offset = 0;; offset += piece.size()) {
      piece.resize(kFilePieceSize);
      Result<size_t> n =
          ReadUpTo(in.get(), std::span(reinterpret_cast<uint8_t*>(piece.data()), piece.size()),
                   entry.path());
      if (!n.ok()) return n.status();
      piece.resize(*n);
      if (piece.empty() && offset > 0) break;  // An empty file still goes, as one empty piece.
      PutBigEndian<uint64_t>(
          reinterpret_cast<uint8_t*>(key.data()) + kFilePrefix.size() + kFileNameSize, offset);
      INMOST_RETURN_IF_ERROR(AppendRecord(writer, key, piece));
      if (piece.size() < kFilePieceSize) break;
    }
    ++files;
  }
  return files;
}

// The archive, complete and synced, in the temp file `fd`.
Result<BackupStats> WriteArchive(int fd, const std::filesystem::path& path,
                                 const SealedStore& store, const std::filesystem::path& files_dir,
                                 const Header& header, const crypto::SecretBytes& stream_key) {
  BackupStreamWriter writer(fd, path);
  INMOST_RETURN_IF_ERROR(writer.Begin(header, stream_key));
  Result<uint64_t> records = ArchiveRecords(store, writer);
  if (!records.ok()) return records.status();
  Result<uint64_t> files = files_dir.empty() ? 0 : ArchiveFiles(files_dir, writer);
  if (!files.ok()) return files.status();
  INMOST_RETURN_IF_ERROR(writer.Finish());
  if (::fsync(fd) != 0) return IoError("cannot sync " + DescribeFileError(path, errno));
  return BackupStats{*records, writer.bytes_written(), *files};
}

// ---- restoring ---------------------------------------------------------------------

// A data directory that a restore is making, and exactly what it made, so that a
// failure removes that and nothing a user had there before.
class NewDataDir {
 public:
  explicit NewDataDir(std::filesystem::path root) : dir_(std::move(root)) {}
  const DataDir& dir() const { return dir_; }

  // Refuses a directory that holds any part of a store, or that is not private.
  Status CheckVacant() const {
    if (Exists(dir_.store_path()) || Exists(dir_.key_file_path()) ||
        Exists(dir_.wrapped_key_path())) {
      return AlreadyExists(dir_.root().string() +
                           " already holds an inmost store; restore into a new directory");
    }
    return Exists(dir_.root()) ? dir_.CheckPrivate() : Status::Ok();
  }

  Result<std::unique_ptr<SealedStore>> Create() {
    // The outermost missing directory: the root, or a parent that mkdir -p will make.
    for (auto p = dir_.root(); !p.empty() && !Exists(p); p = p.parent_path()) {
      outermost_created_ = p;
      if (p == p.parent_path()) break;
    }
    INMOST_RETURN_IF_ERROR(dir_.CreatePrivate());
    INMOST_RETURN_IF_ERROR(dir_.CheckPrivate());
    Result<crypto::SecretBytes> key = CreateKeyFile(dir_.key_file_path());
    if (!key.ok()) return key.status();
    created_key_ = true;
    created_store_ = !Exists(dir_.store_path());
    created_files_ = !Exists(dir_.files_path());
    return SealedStore::Open(dir_.store_path(), std::move(*key), OpenMode::kCreate);
  }

  // Removes what Create() made; the store must be closed.
  void Remove() const {
    std::error_code ec;
    if (!outermost_created_.empty()) {
      std::filesystem::remove_all(outermost_created_, ec);
      return;
    }
    if (created_store_) std::filesystem::remove_all(dir_.store_path(), ec);
    if (created_key_) std::filesystem::remove(dir_.key_file_path(), ec);
    if (created_files_) std::filesystem::remove_all(dir_.files_path(), ec);
  }

 private:
  DataDir dir_;
  std::filesystem::path outermost_created_;
  bool created_key_ = false;
  bool created_store_ = false;
  bool created_files_ = false;
};

Result<Header> ReadHeader(BackupStreamReader& reader, const std::filesystem::path& archive,
                          off_t file_size) {
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
  const uint32_t schema = GetBigEndian<uint32_t>(header.data() + kSchemaOffset);
  if (schema != kSchemaVersion) {
    return Unsupported("backup " + archive.string() + " holds records of schema version " +
                       std::to_string(schema) + "; this build uses version " +
                       std::to_string(kSchemaVersion) + ": restore it with a matching inmost");
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

// The received files a restore writes into the new data directory, each open until
// all are synced.
class RestoredFiles {
 public:
  explicit RestoredFiles(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Writes `bytes` at the place `key` (kFilePrefix | name | offset) names.
  Status Write(std::string_view key, std::span<const uint8_t> bytes,
               const std::filesystem::path& archive) {
    const std::string name(key.substr(kFilePrefix.size(), kFileNameSize));
    if (key.size() != kFileKeySize || !IsFileName(name)) {
      return Corruption("backup " + archive.string() + " is damaged: a file has a bad name");
    }
    const auto offset = GetBigEndian<uint64_t>(reinterpret_cast<const uint8_t*>(key.data()) +
                                               kFilePrefix.size() + kFileNameSize);
    auto it = open_.find(name);
    if (it == open_.end()) {
      INMOST_RETURN_IF_ERROR(CreateDirectoryDurably(dir_, kPrivateDirMode));
      std::error_code ec;
      std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ec);
      const auto path = dir_ / name;
      UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kPrivateFileMode));
      if (fd.get() < 0) return IoError("cannot create " + DescribeFileError(path, errno));
      it = open_.emplace(name, std::move(fd)).first;
    }
    if (::lseek(it->second.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
      return IoError("cannot write " + DescribeFileError(dir_ / name, errno));
    }
    return WriteAll(it->second.get(), bytes, dir_ / name);
  }

  // Syncs every file and the folder; returns how many files there are.
  Result<uint64_t> Finish() {
    for (const auto& [name, fd] : open_) {
      if (::fsync(fd.get()) != 0)
        return IoError("cannot sync " + DescribeFileError(dir_ / name, errno));
    }
    if (!open_.empty()) INMOST_RETURN_IF_ERROR(SyncParentDirectory(dir_ / open_.begin()->first));
    return open_.size();
  }

 private:
  std::filesystem::path dir_;
  std::map<std::string, UniqueFd> open_;
};

struct Restored {
  uint64_t records = 0;
  uint64_t files = 0;
};

// Writes every record of the stream into `store` in synced batches, and every file
// into `files`.
Result<Restored> RestoreRecords(BackupStreamReader& reader, SealedStore& store,
                                RestoredFiles& files, const std::filesystem::path& archive) {
  SealedStore::WriteBatch batch(store);
  size_t batch_bytes = 0;
  uint64_t records = 0;
  std::string key;
  crypto::SecretBytes value;  // Reused, grown to the largest value.
  for (;;) {
    Result<bool> end = reader.AtEnd();
    if (!end.ok()) return end.status();
    if (*end) break;
    Result<uint32_t> key_size = ReadSize(reader, kMaxKeySize, archive);
    if (!key_size.ok()) return key_size.status();
    key.resize(*key_size);
    INMOST_RETURN_IF_ERROR(
        reader.Read(std::span(reinterpret_cast<uint8_t*>(key.data()), key.size())));
    if (key.starts_with(kStoreOwnPrefix)) {
      return Corruption("backup " + archive.string() +
                        " holds a store-internal record; it is damaged");
    }
    Result<uint32_t> value_size = ReadSize(reader, kMaxValueSize, archive);
    if (!value_size.ok()) return value_size.status();
    if (value.size() < *value_size) value = crypto::SecretBytes(*value_size);
    const std::span<uint8_t> value_bytes = value.span().first(*value_size);
    INMOST_RETURN_IF_ERROR(reader.Read(value_bytes));
    if (key.starts_with(kFilePrefix)) {
      INMOST_RETURN_IF_ERROR(files.Write(key, value_bytes, archive));
      continue;
    }
    batch.Put(key, value_bytes);
    ++records;
    batch_bytes += key.size() + value_bytes.size();
    if (batch_bytes >= kRestoreBatchBytes) {
      INMOST_RETURN_IF_ERROR(store.Write(batch));
      batch.Clear();
      batch_bytes = 0;
    }
  }
  if (batch.size() > 0) INMOST_RETURN_IF_ERROR(store.Write(batch));
  Result<uint64_t> restored_files = files.Finish();
  if (!restored_files.ok()) return restored_files.status();
  return Restored{records, *restored_files};
}

}  // namespace

Result<BackupStats> WriteBackup(const SealedStore& store, const std::filesystem::path& path,
                                const crypto::SecretBytes& passphrase, const KdfLimits& limits,
                                const std::filesystem::path& files_dir) {
  if (passphrase.size() < kMinBackupPassphraseSize) {
    return InvalidArgument("the backup passphrase must be at least " +
                           std::to_string(kMinBackupPassphraseSize) + " bytes");
  }
  INMOST_RETURN_IF_ERROR(CheckKdfLimits(limits));
  if (path.filename().empty()) return InvalidArgument("the backup path must name a file");
  if (sodium_init() < 0) return IoError("libsodium could not initialize");
  // Checked before the slow derivation; PublishNoReplace checks again, atomically.
  if (Exists(path)) {
    return AlreadyExists(path.string() + " already exists; inmost never overwrites a file");
  }

  Header header = NewHeader(limits);
  Result<ArchiveKeys> keys = DeriveArchiveKeys(passphrase, header);
  if (!keys.ok()) return keys.status();
  std::memcpy(header.data() + kCheckOffset, keys->check.data(), kCheckSize);

  // Written under a temp name beside `path`, so a crash never leaves a half archive
  // under the final name (and the rename stays within one file system).
  std::string temp =
      (path.parent_path() / ("." + path.filename().string() + ".partial-XXXXXX")).string();
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot create a file beside " + DescribeFileError(path, errno));
  // mkstemp makes it 0600 already; say so explicitly, whatever the libc.
  Status mode = SetPrivateMode(fd.get(), temp);
  Result<BackupStats> stats =
      mode.ok() ? WriteArchive(fd.get(), path, store, files_dir, header, keys->stream_key)
                : Result<BackupStats>(mode);
  Status status = stats.status();
  if (status.ok() && !fd.Close()) {
    status = IoError("cannot close " + DescribeFileError(temp, errno));
  }
  if (status.ok()) status = PublishNoReplace(temp, path);
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  if (status = SyncParentDirectory(path); !status.ok()) {
    ::unlink(path.c_str());  // Ours: the rename refused to replace anything.
    return status;
  }
  return stats;
}

Result<BackupStats> RestoreBackup(const std::filesystem::path& archive,
                                  const crypto::SecretBytes& passphrase,
                                  const std::filesystem::path& data_dir) {
  if (passphrase.empty()) return InvalidArgument("the backup passphrase must not be empty");
  if (sodium_init() < 0) return IoError("libsodium could not initialize");
  NewDataDir target(data_dir);
  INMOST_RETURN_IF_ERROR(target.CheckVacant());

  UniqueFd fd(::open(archive.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return NotFound("no backup at " + archive.string());
    return IoError("cannot open " + DescribeFileError(archive, errno));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0)
    return IoError("cannot inspect " + DescribeFileError(archive, errno));
  if (!S_ISREG(st.st_mode)) return FailedPrecondition(archive.string() + " is not a regular file");

  BackupStreamReader reader(fd.get(), archive);
  Result<Header> header = ReadHeader(reader, archive, st.st_size);
  if (!header.ok()) return header.status();
  Result<ArchiveKeys> keys = DeriveArchiveKeys(passphrase, *header);
  if (!keys.ok()) return keys.status();
  if (!keys->check.Equals(std::span(header->data() + kCheckOffset, kCheckSize))) {
    return AuthenticationFailed("wrong passphrase, or " + archive.string() +
                                " is not an inmost backup");
  }
  INMOST_RETURN_IF_ERROR(reader.Begin(*header, keys->stream_key));

  // The store is closed when this returns, before any cleanup touches its files.
  Result<Restored> restored = [&]() -> Result<Restored> {
    Result<std::unique_ptr<SealedStore>> store = target.Create();
    if (!store.ok()) return store.status();
    RestoredFiles files(target.dir().files_path());
    return RestoreRecords(reader, **store, files, archive);
  }();
  if (!restored.ok()) {
    target.Remove();
    return restored.status();
  }
  return BackupStats{restored->records, static_cast<uint64_t>(st.st_size), restored->files};
}

}  // namespace inmost::store
