#include "daemon/identity/safety_number.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/hash.h"
#include "daemon/identity/ascii.h"

namespace inmost::identity {
namespace {

constexpr uint16_t kSafetyNumberVersion = 1;
// Domain separation from every other hash of the same key.
constexpr std::string_view kSafetyNumberLabel = "inmost safety number";
constexpr size_t kHashSize = crypto_generichash_BYTES_MAX;  // 64: BLAKE2b-512.
constexpr int kChunksPerKey = 6;
constexpr size_t kChunkBytes = 5;  // 40 bits, well above 10^5 so the bias is negligible.
constexpr uint64_t kChunkModulus = 100000;
constexpr size_t kDigitsPerGroup = 5;

// The 30-digit half that `key` contributes.
std::string HalfFor(const crypto::PublicKey& key) {
  // The starting value: version, label and key, as Signal starts from its version,
  // key and stable identifier. Every round, the first included, appends the key.
  std::string seed;
  seed.push_back(static_cast<char>(kSafetyNumberVersion >> 8));
  seed.push_back(static_cast<char>(kSafetyNumberVersion & 0xff));
  seed.append(kSafetyNumberLabel);
  seed.append(reinterpret_cast<const char*>(key.data()), key.size());

  std::array<uint8_t, kHashSize> hash{};
  crypto::Blake2b(hash, {crypto::AsBytes(seed), key});
  for (int i = 1; i < kSafetyNumberIterations; ++i) {
    std::array<uint8_t, kHashSize> next{};
    crypto::Blake2b(next, {hash, key});
    hash = next;
  }

  std::string digits;
  for (int chunk = 0; chunk < kChunksPerKey; ++chunk) {
    uint64_t value = 0;
    for (size_t j = 0; j < kChunkBytes; ++j) value = (value << 8) | hash[chunk * kChunkBytes + j];
    char buf[8];
    std::snprintf(buf, sizeof(buf), "%05u", static_cast<unsigned>(value % kChunkModulus));
    digits.append(buf);
  }
  return digits;
}

}  // namespace

std::string SafetyNumber(const crypto::PublicKey& a, const crypto::PublicKey& b) {
  std::string first = HalfFor(a);
  std::string second = HalfFor(b);
  if (second < first) std::swap(first, second);
  return Grouped(first + second, kDigitsPerGroup);
}

}  // namespace inmost::identity
