#include "daemon/identity/safety_number.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <string_view>

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

// out = BLAKE2b-512(first || second), one round of the iteration.
void Hash(std::span<const uint8_t> first, std::span<const uint8_t> second,
          std::array<uint8_t, kHashSize>& out) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, out.size());
  crypto_generichash_update(&state, first.data(), first.size());
  crypto_generichash_update(&state, second.data(), second.size());
  crypto_generichash_final(&state, out.data(), out.size());
}

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
  Hash({reinterpret_cast<const uint8_t*>(seed.data()), seed.size()}, key, hash);
  for (int i = 1; i < kSafetyNumberIterations; ++i) {
    std::array<uint8_t, kHashSize> next{};
    Hash(hash, key, next);
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
  const std::string digits = first + second;

  std::string out;
  out.reserve(digits.size() + digits.size() / kDigitsPerGroup);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && i % kDigitsPerGroup == 0) out.push_back(' ');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace inmost::identity
