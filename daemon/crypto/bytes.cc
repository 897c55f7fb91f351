#include "daemon/crypto/bytes.h"

#include <sodium.h>

namespace inmost::crypto {

std::string ToHex(std::span<const uint8_t> bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  return out;
}

Result<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgument("hex string has an odd number of digits");
  // An empty vector's data() may be null, which sodium_hex2bin must never get.
  if (hex.empty()) return Bytes{};
  Bytes out(hex.size() / 2);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
      len != out.size()) {
    return InvalidArgument("hex string contains a character that is not a hex digit");
  }
  return out;
}

}  // namespace inmost::crypto
