// LevelDB's default environment maps table files into memory, so once a search or a
// backup has read the whole store, every table counts as the daemon's resident
// memory (page cache, reclaimable, but shown as ours). This environment reads table
// files with pread instead and leaves everything else to the default one. It never
// caches or copies what it reads beyond the caller's buffer.
#pragma once

#include <leveldb/env.h>

#include <string>

namespace inmost::store {

class UnmappedEnv final : public leveldb::EnvWrapper {
 public:
  UnmappedEnv() : leveldb::EnvWrapper(leveldb::Env::Default()) {}

  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** file) override;
};

}  // namespace inmost::store
