// Durable directory entries: fsync keeps a file's bytes, but its name (a create, a
// rename, a new folder) survives a power cut only once the directory holding it is
// synced as well. Every create or rename whose result inmost acknowledges or reports
// is followed by one of these before that.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "inmost/status.h"

namespace inmost::store {

// Syncs the directory `dir` itself (its entries), so what was created, renamed or
// removed in it survives a crash.
// Called from:
//   - SealedStore::OpenDbLocked (sealed_store.cc): the store/ folder after every
//     LevelDB open, which renames a new CURRENT into place and never syncs that
//   - SyncParentDirectory, below
Status SyncDirectory(const std::filesystem::path& dir);

// Syncs the directory holding `path`, so a newly created or renamed `path` survives.
// Called from:
//   - DataDir::CreatePrivate (data_dir.cc): each folder it makes, in its parent
//     (`inmostd init`, `inmostd restore`)
//   - WriteNewPrivateFile (storage_key.cc): storage.key and storage.key.wrapped, after
//     the file's own fsync (`inmostd init`, `inmostd restore`)
//   - SealedStore::OpenDbLocked (sealed_store.cc): a newly created store/ folder, in
//     the data directory
//   - BlobFile::Sync (blob_file.cc): a newly created received file files/<id>, with its
//     first sync, so before any of its chunks is recorded or acknowledged
//   - SaveReceivedFile (core/received_file.cc): the file `inmost save` wrote, before the
//     save is reported
//   - WriteBackup (backup_archive.cc): the archive, after its temp file is fsynced and
//     renamed to the final name
//   - RestoredFiles::Finish (backup_restore.cc): the received files a restore wrote
//   - CreateDirectoryDurably, below
//   - UnmappedEnv (unmapped_env.cc): store/ after LevelDB creates a file (a new log when
//     the memtable fills, a table, a MANIFEST) and after it renames CURRENT into place
// (The client, which does not link this, does the same in WriteNewFile in
// cli/export.cc for `inmost export --out FILE`.)
Status SyncParentDirectory(const std::filesystem::path& path);

// Creates the directory `dir` (with `mode`, less the umask) unless it is one already,
// and syncs its parent when it made it. Its parent must exist.
// Called from:
//   - FileTransfers::Load (core/files/file_transfers.cc): files/, in the data directory,
//     before any received file is created in it
//   - RestoredFiles::Write (backup_restore.cc): files/ of a restored data directory
Status CreateDirectoryDurably(const std::filesystem::path& dir, mode_t mode);

}  // namespace inmost::store
