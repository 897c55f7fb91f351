#include "daemon/identity/fingerprint.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "daemon/crypto/bytes.h"

namespace inmost::identity {
namespace {

// Domain separation: the same key hashed for another purpose gives other bytes.
constexpr std::string_view kFingerprintLabel = "inmost fingerprint v1";
constexpr size_t kHashSize = 32;          // BLAKE2b-256.
constexpr size_t kFingerprintBytes = 16;  // 128 bits: plenty to tell keys apart.
constexpr size_t kHexDigitsPerGroup = 4;

}  // namespace

std::string Fingerprint(const crypto::PublicKey& key) {
  std::array<uint8_t, kHashSize> hash{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, hash.size());
  crypto_generichash_update(&state, reinterpret_cast<const uint8_t*>(kFingerprintLabel.data()),
                            kFingerprintLabel.size());
  crypto_generichash_update(&state, key.data(), key.size());
  crypto_generichash_final(&state, hash.data(), hash.size());

  const std::string hex = crypto::ToHex(std::span<const uint8_t>(hash).first(kFingerprintBytes));
  std::string out;
  out.reserve(hex.size() + hex.size() / kHexDigitsPerGroup);
  for (size_t i = 0; i < hex.size(); ++i) {
    if (i != 0 && i % kHexDigitsPerGroup == 0) out.push_back(' ');
    out.push_back(hex[i]);
  }
  return out;
}

}  // namespace inmost::identity
