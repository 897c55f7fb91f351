// The store's schema versions and the ordered steps between them: SealedStore::Open
// brings an older store up to this build's layout, and a restore an older backup.
// A step never writes outside its batch, so a crash before the batch commits leaves the
// store at its old version, and the step runs again at the next open.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/store/sealed_store.h"
#include "inmost/status.h"

namespace inmost::store {

// The version of a store no migration has touched: the first release's layout.
inline constexpr uint32_t kFirstSchemaVersion = 1;

// One change of the record layout, from version N to N+1.
struct Migration {
  // What it changes, for a person to read in an error ("file records gain a hash").
  std::string what;
  // Reads `store` (at version N) and adds to `batch` every put and delete that brings
  // it to N+1; the batch is then written with the new version, synced, in one write.
  // After a crash it runs again over the same version-N store, so it only reads.
  std::function<Status(const SealedStore& store, SealedStore::WriteBatch& batch)> apply;
  // True for the step that moves every record to hidden keys (key_layout.h): its batch
  // writes in the hidden layout, which the store uses from then on.
  bool hides_keys = false;
};

// The ordered migrations from kFirstSchemaVersion on: the i-th step takes version
// kFirstSchemaVersion + i to the next.
class Migrations {
 public:
  // This build's steps; they lead to kSchemaVersion. A format change adds one here.
  static Migrations ThisBuild();

  explicit Migrations(std::vector<Migration> steps) : steps_(std::move(steps)) {}

  // The version the steps lead to: what a new store is created at.
  uint32_t latest() const { return kFirstSchemaVersion + static_cast<uint32_t>(steps_.size()); }

  // The steps up to `version` only (at most latest()): a restore creates its store at
  // the archive's version, fills it, and only then migrates it.
  Migrations UpTo(uint32_t version) const;

  // True when the steps include the one that hides keys: a store created at latest()
  // starts hidden.
  bool hide_keys() const;

  // Brings `store` from the version it records to latest(), one synced batch per step
  // (the step's writes and its new version together). A store already at latest() is
  // left untouched; one newer is Unsupported, and left untouched too.
  Status Apply(SealedStore& store) const;

 private:
  // After the step that hides keys: compacts every file and reopens LevelDB, so that
  // no named key stays in the store's files, then forgets that it must.
  static Status RewriteFiles(SealedStore& store);

  std::vector<Migration> steps_;
};

}  // namespace inmost::store
