#include "daemon/stored_onion_key.h"

#include <string_view>

#include "daemon/codec/tor/onion_key.h"

namespace inmost {
namespace {

constexpr std::string_view kOnionKeyRecord = "tor/onion_service_key";

}  // namespace

Result<std::optional<crypto::SecretBytes>> StoredOnionKey::Load() {
  auto key = db_.GetSecret(kOnionKeyRecord);
  if (!key.ok()) {
    if (key.status().code() == Code::kNotFound) return std::optional<crypto::SecretBytes>();
    return key.status();
  }
  if (key->size() != tor::kOnionKeyBytes) {
    return Corruption("the onion key record holds " + std::to_string(key->size()) +
                      " bytes, not " + std::to_string(tor::kOnionKeyBytes));
  }
  return std::optional<crypto::SecretBytes>(std::move(*key));
}

Status StoredOnionKey::Save(const crypto::SecretBytes& key) {
  if (key.size() != tor::kOnionKeyBytes) {
    return InvalidArgument("Tor gave an onion key of " + std::to_string(key.size()) + " bytes");
  }
  return db_.PutSecret(kOnionKeyRecord, key);  // Synced before it returns.
}

}  // namespace inmost
