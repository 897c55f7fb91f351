// Schema 2 → 3: every record leaves its named LevelDB key for its hidden one. The
// batch holds the whole store once, re-sealed: the price of a step that is one atomic
// write, so a crash leaves the store either named or hidden, never both.
#include "daemon/crypto/bytes.h"
#include "daemon/store/migration_steps.h"

namespace inmost::store {

Migration HideKeysStep() {
  return {"LevelDB keys become keyed hashes that name nothing",
          [](const SealedStore& store, SealedStore::WriteBatch& batch) {
            // Under the named layout a record's LevelDB key is its key.
            return store.ForEachRecord([&](std::string_view key, std::string_view value) {
              batch.DeleteStoredKey(key);
              batch.Put(key, crypto::AsBytes(value));
              return true;
            });
          },
          /*hides_keys=*/true};
}

}  // namespace inmost::store
