// LevelDB's default environment maps table files into memory, so once a search or a
// backup has read the whole store, every table counts as the daemon's resident
// memory (page cache, reclaimable, but shown as ours). This environment reads table
// files with pread instead and leaves everything else to the default one. It never
// caches or copies what it reads beyond the caller's buffer.
// It also makes LevelDB's new names durable, which the default one does not: each new
// file (a log after the memtable fills, a table) and each rename (CURRENT) is followed
// by a sync of its folder, so an acknowledged write in a new log survives a power cut.
#pragma once

#include <leveldb/env.h>

#include <string>

namespace inmost::store {

class UnmappedEnv final : public leveldb::EnvWrapper {
 public:
  UnmappedEnv() : leveldb::EnvWrapper(leveldb::Env::Default()) {}

  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** file) override;

  // Creates the file, then syncs its folder: LevelDB syncs a new log's bytes with each
  // synced write, but its name only once the next MANIFEST is written, so until the
  // memtable is flushed a power cut would lose the log and the writes acknowledged in it.
  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** file) override;
  leveldb::Status NewAppendableFile(const std::string& name, leveldb::WritableFile** file) override;

  // Renames, then syncs the target's folder: LevelDB renames CURRENT into place without.
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override;
};

}  // namespace inmost::store
