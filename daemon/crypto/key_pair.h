// An X25519 key pair: the daemon's long-term identity and Noise's static and
// ephemeral keys. The private half lives in SecretBytes and is never logged.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::crypto {

inline constexpr size_t kX25519KeySize = 32;
using PublicKey = std::array<uint8_t, kX25519KeySize>;

struct KeyPair {
  SecretBytes private_key;  // 32 bytes.
  PublicKey public_key{};

  // A fresh key pair from libsodium's CSPRNG.
  static KeyPair Generate();
  // The key pair whose private key is `private_key` (32 bytes), public half derived.
  static Result<KeyPair> FromPrivate(std::span<const uint8_t> private_key);
};

// X25519(private_key, public_key) into `shared` (32 bytes). Fails when the peer's
// public key is a low-order point, which would make the result all zeros.
Status X25519(const SecretBytes& private_key, std::span<const uint8_t> public_key,
              SecretBytes& shared);

}  // namespace inmost::crypto
