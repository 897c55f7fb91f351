// The onion service's key in the sealed store, beside the identity key, so that the
// daemon's .onion address never changes. It must never hold the key outside secret
// memory, nor report it as kept before the store has synced it.
#pragma once

#include <optional>

#include "daemon/store/sealed_store.h"
#include "daemon/tor/onion_host.h"

namespace inmost {

class StoredOnionKey final : public tor::OnionKeyVault {
 public:
  // `db` must outlive this.
  explicit StoredOnionKey(store::SealedStore& db) : db_(db) {}

  Result<std::optional<crypto::SecretBytes>> Load() override;
  Status Save(const crypto::SecretBytes& key) override;

 private:
  store::SealedStore& db_;
};

}  // namespace inmost
