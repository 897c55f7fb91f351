#include "daemon/codec/tor/client_auth.h"

#include <algorithm>
#include <cstring>

#include "daemon/codec/tor/onion_key.h"

namespace inmost::tor {

namespace {

constexpr std::string_view kBase32Capitals = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kAuthPrivateMiddle = ":descriptor:x25519:";
constexpr unsigned kBitsPerDigit = 5;
constexpr unsigned kDigitMask = 0x1f;

size_t Base32Length(size_t bytes) {
  return (bytes * 8 + kBitsPerDigit - 1) / kBitsPerDigit;
}

// Writes the base32 of `bytes` to `out`, which holds Base32Length(bytes.size()).
void EncodeInto(std::span<const uint8_t> bytes, char* out) {
  uint32_t buffer = 0;
  unsigned bits = 0;
  size_t at = 0;
  for (uint8_t byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= kBitsPerDigit) {
      bits -= kBitsPerDigit;
      out[at++] = kBase32Capitals[(buffer >> bits) & kDigitMask];
    }
  }
  if (bits > 0) out[at++] = kBase32Capitals[(buffer << (kBitsPerDigit - bits)) & kDigitMask];
  buffer = 0;  // It held key bits.
}

}  // namespace

std::string Base32(std::span<const uint8_t> bytes) {
  std::string text(Base32Length(bytes.size()), '\0');
  EncodeInto(bytes, text.data());
  return text;
}

crypto::SecretBytes SecretBase32(std::span<const uint8_t> bytes) {
  crypto::SecretBytes text(Base32Length(bytes.size()));
  EncodeInto(bytes, reinterpret_cast<char*>(text.data()));
  return text;
}

bool IsClientAuthKey(std::string_view text) {
  return text.size() == kClientAuthKeyBase32Length &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return kBase32Capitals.find(c) != std::string_view::npos; });
}

Result<crypto::SecretBytes> AuthPrivateLine(std::string_view service_id,
                                            const crypto::SecretBytes& private_key) {
  if (!IsServiceId(service_id)) return InvalidArgument("not a v3 onion service ID");
  if (private_key.size() != kClientAuthKeyBytes) {
    return InvalidArgument("a client authorization key has " + std::to_string(kClientAuthKeyBytes) +
                           " bytes, not " + std::to_string(private_key.size()));
  }
  const crypto::SecretBytes key = SecretBase32(private_key.span());
  crypto::SecretBytes line(service_id.size() + kAuthPrivateMiddle.size() + key.size());
  uint8_t* at = line.data();
  std::memcpy(at, service_id.data(), service_id.size());
  at += service_id.size();
  std::memcpy(at, kAuthPrivateMiddle.data(), kAuthPrivateMiddle.size());
  at += kAuthPrivateMiddle.size();
  std::memcpy(at, key.data(), key.size());
  return line;
}

}  // namespace inmost::tor
