// Restoring a backup archive (backup_archive.h): a new data directory made from it,
// its store migrated from the archive's schema to this build's. It never touches a
// directory that already holds a store or key, nor leaves a half-made one behind.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "daemon/store/backup_archive.h"
#include "daemon/store/backup_format.h"
#include "daemon/store/backup_stream.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/durable_dir.h"
#include "daemon/store/migrations.h"
#include "daemon/store/private_file.h"

namespace inmost::store {

namespace backup {
namespace {

// Restored records are written in synced batches of about this many bytes.
constexpr size_t kRestoreBatchBytes = size_t{1} << 20;

// A data directory that a restore is making, and exactly what it made, so that a
// failure removes that and nothing a user had there before.
class NewDataDir {
 public:
  explicit NewDataDir(std::filesystem::path root) : dir_(std::move(root)) {}
  const DataDir& dir() const { return dir_; }

  // Refuses a directory that holds any part of a store, or that is not private.
  Status CheckVacant() const {
    if (NameTaken(dir_.store_path()) || NameTaken(dir_.key_file_path()) ||
        NameTaken(dir_.wrapped_key_path())) {
      return AlreadyExists(dir_.root().string() +
                           " already holds an inmost store; restore into a new directory");
    }
    return NameTaken(dir_.root()) ? dir_.CheckPrivate() : Status::Ok();
  }

  // Makes the directory, its key file and a new store at the version `migrations` lead to.
  Result<std::unique_ptr<SealedStore>> Create(const Migrations& migrations) {
    // The outermost missing directory: the root, or a parent that mkdir -p will make.
    for (auto p = dir_.root(); !p.empty() && !NameTaken(p); p = p.parent_path()) {
      outermost_created_ = p;
      if (p == p.parent_path()) break;
    }
    INMOST_RETURN_IF_ERROR(dir_.CreatePrivate());
    INMOST_RETURN_IF_ERROR(dir_.CheckPrivate());
    INMOST_ASSIGN_OR_RETURN(crypto::SecretBytes key, CreateKeyFile(dir_.key_file_path()));
    created_key_ = true;
    created_store_ = !NameTaken(dir_.store_path());
    created_files_ = !NameTaken(dir_.files_path());
    return SealedStore::Open(dir_.store_path(), std::move(key), OpenMode::kCreate, migrations);
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
    INMOST_ASSIGN_OR_RETURN(bool end, reader.AtEnd());
    if (end) break;
    INMOST_ASSIGN_OR_RETURN(uint32_t key_size, ReadSize(reader, kMaxKeySize, archive));
    key.resize(key_size);
    INMOST_RETURN_IF_ERROR(
        reader.Read(std::span(reinterpret_cast<uint8_t*>(key.data()), key.size())));
    if (key.starts_with(kStoreOwnPrefix)) {
      return Corruption("backup " + archive.string() +
                        " holds a store-internal record; it is damaged");
    }
    INMOST_ASSIGN_OR_RETURN(uint32_t value_size, ReadSize(reader, kMaxValueSize, archive));
    if (value.size() < value_size) value = crypto::SecretBytes(value_size);
    const std::span<uint8_t> value_bytes = value.span().first(value_size);
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
  INMOST_ASSIGN_OR_RETURN(uint64_t restored_files, files.Finish());
  return Restored{records, restored_files};
}

}  // namespace
}  // namespace backup

Result<BackupStats> RestoreBackup(const std::filesystem::path& archive,
                                  const crypto::SecretBytes& passphrase,
                                  const std::filesystem::path& data_dir,
                                  const Migrations& migrations) {
  if (passphrase.empty()) return InvalidArgument("the backup passphrase must not be empty");
  if (sodium_init() < 0) return IoError("libsodium could not initialize");
  backup::NewDataDir target(data_dir);
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
  INMOST_ASSIGN_OR_RETURN(backup::Header header,
                          backup::ReadHeader(reader, archive, st.st_size, migrations.latest()));
  INMOST_ASSIGN_OR_RETURN(backup::ArchiveKeys keys, backup::DeriveArchiveKeys(passphrase, header));
  if (!keys.check.Equals(std::span(header.data() + backup::kCheckOffset, backup::kCheckSize))) {
    return AuthenticationFailed("wrong passphrase, or " + archive.string() +
                                " is not an inmost backup");
  }
  INMOST_RETURN_IF_ERROR(reader.Begin(header, keys.stream_key));

  // The store is closed when this returns, before any cleanup touches its files.
  Result<backup::Restored> restored = [&]() -> Result<backup::Restored> {
    // Made at the archive's schema, so its records land as they were written, then
    // brought to this build's by the same steps as a store opened after an upgrade.
    INMOST_ASSIGN_OR_RETURN(std::unique_ptr<SealedStore> store,
                            target.Create(migrations.UpTo(backup::SchemaVersionOf(header))));
    backup::RestoredFiles files(target.dir().files_path());
    INMOST_ASSIGN_OR_RETURN(backup::Restored records,
                            backup::RestoreRecords(reader, *store, files, archive));
    INMOST_RETURN_IF_ERROR(migrations.Apply(*store));
    return records;
  }();
  if (!restored.ok()) {
    target.Remove();
    return restored.status();
  }
  return BackupStats{restored->records, static_cast<uint64_t>(st.st_size), restored->files};
}

}  // namespace inmost::store
