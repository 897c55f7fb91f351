#include "daemon/codec/tor/onion_key.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace inmost::tor {

namespace {

constexpr char kTypeSeparator = ':';
constexpr std::string_view kBase32Digits = "abcdefghijklmnopqrstuvwxyz234567";
constexpr size_t kBase64Quantum = 4;

}  // namespace

bool IsServiceId(std::string_view text) {
  return text.size() == kServiceIdLength && std::all_of(text.begin(), text.end(), [](char c) {
           return kBase32Digits.find(c) != std::string_view::npos;
         });
}

Result<crypto::SecretBytes> DecodeOnionKey(std::string_view blob) {
  const size_t separator = blob.find(kTypeSeparator);
  if (separator == std::string_view::npos || blob.substr(0, separator) != kOnionKeyType) {
    return InvalidArgument("an onion service key must be of type " + std::string(kOnionKeyType));
  }
  const std::string_view base64 = blob.substr(separator + 1);
  const int variant = base64.size() % kBase64Quantum == 0
                          ? sodium_base64_VARIANT_ORIGINAL
                          : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
  crypto::SecretBytes key(kOnionKeyBytes);
  size_t decoded = 0;
  const char* end = nullptr;
  if (sodium_base642bin(key.data(), key.size(), base64.data(), base64.size(), nullptr, &decoded,
                        &end, variant) != 0 ||
      end != base64.data() + base64.size() || decoded != kOnionKeyBytes) {
    return Corruption("the " + std::string(kOnionKeyType) + " key is not base64 of " +
                      std::to_string(kOnionKeyBytes) + " bytes");
  }
  return key;
}

Result<crypto::SecretBytes> EncodeOnionKey(const crypto::SecretBytes& key) {
  if (key.size() != kOnionKeyBytes) {
    return InvalidArgument("an " + std::string(kOnionKeyType) + " key has " +
                           std::to_string(kOnionKeyBytes) + " bytes, not " +
                           std::to_string(key.size()));
  }
  // sodium_base64_ENCODED_LEN counts the terminating NUL that sodium_bin2base64 writes.
  const size_t encoded_with_nul =
      sodium_base64_ENCODED_LEN(kOnionKeyBytes, sodium_base64_VARIANT_ORIGINAL);
  crypto::SecretBytes text(encoded_with_nul);
  sodium_bin2base64(reinterpret_cast<char*>(text.data()), text.size(), key.data(), key.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  const size_t encoded = encoded_with_nul - 1;
  crypto::SecretBytes blob(kOnionKeyType.size() + 1 + encoded);
  std::memcpy(blob.data(), kOnionKeyType.data(), kOnionKeyType.size());
  blob.data()[kOnionKeyType.size()] = kTypeSeparator;
  std::memcpy(blob.data() + kOnionKeyType.size() + 1, text.data(), encoded);
  return blob;
}

}  // namespace inmost::tor
