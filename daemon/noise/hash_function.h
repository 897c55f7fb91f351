// Noise's hash functions (spec 5.3, 12.5, 12.6): HASH over BLAKE2b-512 or SHA-256, and the
// HMAC-HASH (RFC 2104) and HKDF (spec 4.3) built on it. Must never substitute keyed BLAKE2b
// for HMAC, and never leaves keys or derived keys outside SecretBytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::noise {

enum class HashAlgorithm { kBlake2b, kSha256 };

class HashFunction {
 public:
  // The largest HASHLEN of any supported function (BLAKE2b).
  static constexpr size_t kMaxHashLen = 64;

  explicit HashFunction(HashAlgorithm algorithm) : algorithm_(algorithm) {}
  // The function named as in protocol names: "BLAKE2b" or "SHA256".
  static Result<HashFunction> FromName(std::string_view name);

  HashAlgorithm algorithm() const { return algorithm_; }
  // HASHLEN and BLOCKLEN of the spec.
  size_t hash_len() const;
  size_t block_len() const;

  // HASH(parts[0] || parts[1] || ...). For public data such as the handshake hash.
  crypto::Bytes Hash(std::initializer_list<std::span<const uint8_t>> parts) const;
  // HMAC-HASH(key, data[0] || data[1] || ...), HASHLEN bytes.
  crypto::SecretBytes Hmac(std::span<const uint8_t> key,
                           std::initializer_list<std::span<const uint8_t>> data) const;
  // HKDF(chaining_key, input_key_material, 2) and (..., 3): HASHLEN-byte outputs.
  std::array<crypto::SecretBytes, 2> Hkdf2(std::span<const uint8_t> chaining_key,
                                           std::span<const uint8_t> input_key_material) const;
  std::array<crypto::SecretBytes, 3> Hkdf3(std::span<const uint8_t> chaining_key,
                                           std::span<const uint8_t> input_key_material) const;

 private:
  HashAlgorithm algorithm_;
};

}  // namespace inmost::noise
