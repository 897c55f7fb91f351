// The cryptography of a withheld-key envelope: the body is sealed under a fresh
// content key that the sender keeps until the release condition holds, and bound
// by a commitment, so the body that opens is the one that was sent.
// It never stores or sends anything; the key leaves only as SecretBytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::crypto {

inline constexpr size_t kEnvelopeIdSize = 16;
inline constexpr size_t kContentKeySize = 32;
inline constexpr size_t kCommitmentSize = 32;

struct SealedBody {
  SecretBytes key;         // The content key: withheld by the sender.
  std::string ciphertext;  // Nonce, then XChaCha20-Poly1305 of the body.
  std::string commitment;  // BLAKE2b over envelope id, key and body.
};

// A fresh random envelope id.
std::string NewEnvelopeId();

// Seals `body` under a fresh content key, with `envelope_id` as associated data.
SealedBody SealBody(std::string_view envelope_id, std::string_view body);

// Opens `ciphertext` with the released `key` and checks the body against
// `commitment`. AuthenticationFailed when either check fails: the key or body is
// not the one the sender committed to.
Result<std::string> OpenBody(std::string_view envelope_id, std::span<const uint8_t> key,
                             std::string_view ciphertext, std::string_view commitment);

// The commitment to `body` under `key` for `envelope_id`. Hiding while the key is
// secret (the key is random), binding because BLAKE2b is collision resistant, and
// it makes the envelope key-committing, which the AEAD alone is not.
std::string Commitment(std::string_view envelope_id, std::span<const uint8_t> key,
                       std::string_view body);

}  // namespace inmost::crypto
