#include "daemon/identity/fingerprint.h"

#include <array>
#include <cstdint>
#include <string_view>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/hash.h"
#include "daemon/identity/ascii.h"

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
  crypto::Blake2b(hash, {crypto::AsBytes(kFingerprintLabel), key});
  return Grouped(crypto::ToHex(std::span<const uint8_t>(hash).first(kFingerprintBytes)),
                 kHexDigitsPerGroup);
}

}  // namespace inmost::identity
