// mac1 of the hello frame: a keyed BLAKE2b tag that only someone who knows the
// responder's static public key can compute (as WireGuard's mac1), so strangers are
// dropped before any X25519 work. It authenticates nothing else and must never be
// treated as proof of identity: the public key is not a secret.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "daemon/crypto/key_pair.h"

namespace inmost::peer {

// Domain separation label hashed in front of the responder's public key.
inline constexpr std::string_view kMac1Label = "inmost mac1";
// BLAKE2b-256 output used as the mac1 key.
inline constexpr size_t kMac1KeySize = 32;
// The tag at the end of every hello: BLAKE2b with a 16-byte output.
inline constexpr size_t kMac1Size = 16;

// Derived from a public key, so it needs no SecretBytes.
using Mac1Key = std::array<uint8_t, kMac1KeySize>;
using Mac1 = std::array<uint8_t, kMac1Size>;

// BLAKE2b-256(kMac1Label || responder_static).
Mac1Key Mac1KeyFor(const crypto::PublicKey& responder_static);

// Keyed BLAKE2b-128 of `data` under `key`.
Mac1 ComputeMac1(const Mac1Key& key, std::span<const uint8_t> data);

// Constant-time check that `mac` is ComputeMac1(key, data); false for a wrong size.
bool VerifyMac1(const Mac1Key& key, std::span<const uint8_t> data, std::span<const uint8_t> mac);

}  // namespace inmost::peer
