// Plain byte strings for public data (public keys, ciphertexts, hashes) and hex
// conversion for display and test vectors. Secrets belong in SecretBytes instead.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inmost/status.h"

namespace inmost::crypto {

using Bytes = std::vector<uint8_t>;

// Lowercase hex of `bytes`.
std::string ToHex(std::span<const uint8_t> bytes);
// Parses hex (either case, no separators); an odd length or a non-hex character is an error.
Result<Bytes> FromHex(std::string_view hex);

// Views a string's characters as bytes, and bytes as a string.
inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string ToString(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace inmost::crypto
