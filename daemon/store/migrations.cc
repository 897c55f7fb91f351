#include "daemon/store/migrations.h"

#include <leveldb/db.h>

#include <algorithm>
#include <cstddef>
#include <string>

#include "daemon/store/migration_steps.h"

namespace inmost::store {

namespace {

// Says the store's files may still hold what the migration to hidden keys removed
// (named keys in old tables, the log, the manifest's key ranges): written in that
// step's batch, deleted once every file has been rewritten, so a crash in between
// rewrites them at the next open.
constexpr std::string_view kRewritePendingKey = "meta/rewrite_pending";

}  // namespace

Migrations Migrations::ThisBuild() {
  // Each step appended here takes the previous version to the next; keep the fixtures
  // of tests/data/fixtures (made by the releases before) opening and restoring.
  return Migrations({NumberMessagesStep(), HideKeysStep()});
}

Migrations Migrations::UpTo(uint32_t version) const {
  const size_t steps = std::min<size_t>(
      version > kFirstSchemaVersion ? version - kFirstSchemaVersion : 0, steps_.size());
  return Migrations(
      std::vector<Migration>(steps_.begin(), steps_.begin() + static_cast<std::ptrdiff_t>(steps)));
}

Status Migrations::RewriteFiles(SealedStore& store) {
  if (store.Get(kRewritePendingKey).status().code() == Code::kNotFound) return Status::Ok();
  // Every file, not only the hidden classes' range: the named keys sort after them.
  INMOST_RETURN_IF_ERROR(store.CompactStored({}));
  {
    // LevelDB writes a new manifest, without the old tables' key ranges, only at open.
    std::unique_lock exclusive(store.mu_);
    store.db_.reset();
    INMOST_RETURN_IF_ERROR(store.OpenDbLocked(/*create=*/false));
  }
  return store.Delete(kRewritePendingKey);
}

bool Migrations::hide_keys() const {
  return std::any_of(steps_.begin(), steps_.end(),
                     [](const Migration& step) { return step.hides_keys; });
}

Status Migrations::Apply(SealedStore& store) const {
  INMOST_ASSIGN_OR_RETURN(uint32_t recorded, store.SchemaVersion());
  const std::string where = "the store at " + store.dir().string();
  if (recorded > latest()) {
    // Nothing is written: the newer inmost that wrote it can still open it.
    return Unsupported("this store was written by a newer inmost (schema " +
                       std::to_string(recorded) + "); this build reads schema " +
                       std::to_string(latest()) + ": upgrade inmost");
  }
  INMOST_RETURN_IF_ERROR(store.UseRecordedLayout());
  for (uint32_t version = recorded; version < latest(); ++version) {
    const Migration& step = steps_[version - kFirstSchemaVersion];
    // The step reads in the store's layout; the one that hides keys writes hidden.
    SealedStore::WriteBatch batch =
        step.hides_keys ? store.HiddenKeysBatch() : SealedStore::WriteBatch(store);
    Status status = step.apply(store, batch);
    if (step.hides_keys) batch.Put(kRewritePendingKey, {});
    if (status.ok()) {
      SealedStore::PutSchemaVersion(batch, version + 1);
      status = store.Write(batch, Durability::kSynced);
    }
    if (status.ok() && step.hides_keys) status = store.UseRecordedLayout();
    if (!status.ok()) {
      // Nothing of this step was written: the next open runs it again from here.
      return Status(status.code(), "cannot bring " + where + " from schema version " +
                                       std::to_string(version) + " to " +
                                       std::to_string(version + 1) + " (" + step.what +
                                       "): " + status.message() + "; it stays at version " +
                                       std::to_string(version) + " and the next start tries again");
    }
  }
  // A rewrite that a crash or a full disk interrupted.
  return RewriteFiles(store);
}

}  // namespace inmost::store
