#include "daemon/peer/handshake_mac.h"

#include <sodium.h>

#include "daemon/crypto/bytes.h"

namespace inmost::peer {

static_assert(kMac1KeySize >= crypto_generichash_KEYBYTES_MIN &&
              kMac1KeySize <= crypto_generichash_KEYBYTES_MAX);
static_assert(kMac1Size >= crypto_generichash_BYTES_MIN);

Mac1Key Mac1KeyFor(const crypto::PublicKey& responder_static) {
  Mac1Key key{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, key.size());
  const auto label = crypto::AsBytes(kMac1Label);
  crypto_generichash_update(&state, label.data(), label.size());
  crypto_generichash_update(&state, responder_static.data(), responder_static.size());
  crypto_generichash_final(&state, key.data(), key.size());
  return key;
}

Mac1 ComputeMac1(const Mac1Key& key, std::span<const uint8_t> data) {
  Mac1 mac{};
  crypto_generichash(mac.data(), mac.size(), data.data(), data.size(), key.data(), key.size());
  return mac;
}

bool VerifyMac1(const Mac1Key& key, std::span<const uint8_t> data, std::span<const uint8_t> mac) {
  if (mac.size() != kMac1Size) return false;
  const Mac1 expected = ComputeMac1(key, data);
  return sodium_memcmp(expected.data(), mac.data(), kMac1Size) == 0;
}

}  // namespace inmost::peer
