#include "daemon/store/backup_archive.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>  // renameat2
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "daemon/store/backup_format.h"
#include "daemon/store/backup_stream.h"
#include "daemon/store/durable_dir.h"
#include "daemon/store/private_file.h"

namespace inmost::store {

namespace backup {
namespace {

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

// Streams every record but the store's own from one consistent scan.
Result<uint64_t> ArchiveRecords(const SealedStore& store, BackupStreamWriter& writer) {
  uint64_t records = 0;
  Status failed;
  Status scan = store.ForEachRecord([&](std::string_view key, std::string_view value) {
    if (key.starts_with(kViewOnceKeyPrefix)) return true;
    failed = AppendRecord(writer, key, value);
    records += failed.ok() ? 1 : 0;
    return failed.ok();
  });
  INMOST_RETURN_IF_ERROR(failed);
  INMOST_RETURN_IF_ERROR(scan);
  return records;
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
      INMOST_ASSIGN_OR_RETURN(
          size_t n,
          ReadUpTo(in.get(), std::span(reinterpret_cast<uint8_t*>(piece.data()), piece.size()),
                   entry.path()));
      piece.resize(n);
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
  INMOST_ASSIGN_OR_RETURN(uint64_t records, ArchiveRecords(store, writer));
  INMOST_ASSIGN_OR_RETURN(uint64_t files, files_dir.empty() ? 0 : ArchiveFiles(files_dir, writer));
  INMOST_RETURN_IF_ERROR(writer.Finish());
  if (::fsync(fd) != 0) return IoError("cannot sync " + DescribeFileError(path, errno));
  return BackupStats{records, writer.bytes_written(), files};
}

}  // namespace
}  // namespace backup

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
  if (backup::NameTaken(path)) {
    return AlreadyExists(path.string() + " already exists; inmost never overwrites a file");
  }

  // The store's own version, so a restore knows which migrations its records need.
  INMOST_ASSIGN_OR_RETURN(uint32_t schema, store.SchemaVersion());
  backup::Header header = backup::NewHeader(limits, schema);
  INMOST_ASSIGN_OR_RETURN(backup::ArchiveKeys keys, backup::DeriveArchiveKeys(passphrase, header));
  std::memcpy(header.data() + backup::kCheckOffset, keys.check.data(), backup::kCheckSize);

  // Written under a temp name beside `path`, so a crash never leaves a half archive
  // under the final name (and the rename stays within one file system).
  std::string temp =
      (path.parent_path() / ("." + path.filename().string() + ".partial-XXXXXX")).string();
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot create a file beside " + DescribeFileError(path, errno));
  // mkstemp makes it 0600 already; say so explicitly, whatever the libc.
  Status mode = SetPrivateMode(fd.get(), temp);
  Result<BackupStats> stats =
      mode.ok() ? backup::WriteArchive(fd.get(), path, store, files_dir, header, keys.stream_key)
                : Result<BackupStats>(mode);
  Status status = stats.status();
  if (status.ok() && !fd.Close()) {
    status = IoError("cannot close " + DescribeFileError(temp, errno));
  }
  if (status.ok()) status = backup::PublishNoReplace(temp, path);
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

}  // namespace inmost::store
