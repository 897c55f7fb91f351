// Noise's SymmetricState (spec 5.2): the chaining key ck, the handshake hash h and the
// handshake CipherState. Must never expose ck or k, and never hands out transport keys
// except through Split.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/noise/cipher_state.h"
#include "daemon/noise/hash_function.h"
#include "inmost/status.h"

namespace inmost::noise {

class SymmetricState {
 public:
  // InitializeSymmetric(protocol_name).
  SymmetricState(std::string_view protocol_name, HashFunction hash);

  SymmetricState(SymmetricState&&) noexcept = default;
  SymmetricState& operator=(SymmetricState&&) noexcept = default;

  void MixKey(std::span<const uint8_t> input_key_material);
  void MixHash(std::span<const uint8_t> data);
  void MixKeyAndHash(std::span<const uint8_t> input_key_material);
  // GetHandshakeHash(): h, HASHLEN bytes.
  std::span<const uint8_t> GetHandshakeHash() const { return h_; }
  // Whether the handshake CipherState has a key yet (so payloads gain a tag).
  bool HasKey() const { return cipher_.HasKey(); }
  // EncryptAndHash / DecryptAndHash: encrypt or decrypt with h as associated data, then
  // MixHash(ciphertext).
  Result<crypto::Bytes> EncryptAndHash(std::span<const uint8_t> plaintext);
  Result<crypto::Bytes> DecryptAndHash(std::span<const uint8_t> ciphertext);
  // Split(): the two transport CipherStates, initiator-to-responder first. Wipes ck and k,
  // which nothing needs afterwards; only h remains.
  std::pair<CipherState, CipherState> Split();

 private:
  // A HASHLEN-byte HKDF output cut to a cipher key (spec 5.2: truncate when HASHLEN is 64).
  static crypto::SecretBytes CipherKeyFrom(const crypto::SecretBytes& hkdf_output);

  HashFunction hash_;
  crypto::SecretBytes chaining_key_;  // ck
  crypto::Bytes h_;                   // h
  CipherState cipher_;
};

}  // namespace inmost::noise
