// Safety numbers: the 60-digit number both partners read aloud or compare side
// by side to confirm that each holds the other's real key (no one in between).
// It must never depend on anything but the two public keys, nor on their order.
#pragma once

#include <string>

#include "daemon/crypto/key_pair.h"

namespace inmost::identity {

// Hash iterations per key; Signal's count, so brute-forcing a key whose digits
// collide with a target costs about as much here as there (under 1 ms per key).
inline constexpr int kSafetyNumberIterations = 5200;

// The safety number of the pair (a, b), the same for SafetyNumber(a, b) and
// SafetyNumber(b, a): 60 decimal digits as 12 groups of 5 joined by single spaces.
//
// Definition (version 1), modelled on Signal's numeric fingerprint:
//   for each key K:
//     h = be16(1) || "inmost safety number" || K     (2 + 20 + 32 bytes, not yet hashed)
//     repeat kSafetyNumberIterations times: h = BLAKE2b-512(h || K)
//     digits(K) = for i in 0..5: (h[5i..5i+5) read as a big-endian 40-bit number)
//                 mod 100000, written as 5 digits with leading zeros   (30 digits)
//   number = the two 30-digit strings concatenated, the smaller one first.
// BLAKE2b-512 is libsodium's crypto_generichash, unkeyed, 64-byte output.
std::string SafetyNumber(const crypto::PublicKey& a, const crypto::PublicKey& b);

}  // namespace inmost::identity
