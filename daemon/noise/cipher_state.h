// Noise's CipherState (spec 5.1) over ChaChaPoly (IETF ChaCha20-Poly1305, spec 12.3): a key
// and a message counter. Must never reuse a nonce, never encrypt at the reserved nonce 2^64-1,
// and never keep the key outside SecretBytes.
#pragma once

#include <cstdint>
#include <span>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::config {
class NoiseKeyLog;
}

namespace inmost::noise {

class CipherState {
 public:
  // A CipherState without a key: it passes data through unencrypted, as the spec requires
  // for handshake messages sent before any key is mixed in.
  CipherState() = default;
  // InitializeKey(key): `key` must be kKeySize bytes, or empty for "no key". n = 0.
  explicit CipherState(crypto::SecretBytes key);

  CipherState(CipherState&&) noexcept = default;
  CipherState& operator=(CipherState&&) noexcept = default;

  bool HasKey() const { return !key_.empty(); }
  // The next nonce to use, n.
  uint64_t nonce() const { return nonce_; }
  // SetNonce(n). Reusing a nonce breaks confidentiality: for tests and resumption only.
  void SetNonce(uint64_t nonce) { nonce_ = nonce; }

  // ENCRYPT(k, n++, ad, plaintext), or `plaintext` unchanged without a key. Fails with
  // ResourceExhausted when the result would exceed kMaxMessageSize or the nonces are used up.
  Result<crypto::Bytes> EncryptWithAd(std::span<const uint8_t> ad,
                                      std::span<const uint8_t> plaintext);
  // DECRYPT(k, n++, ad, ciphertext), or `ciphertext` unchanged without a key. A message that
  // fails authentication is AuthenticationFailed and leaves n unchanged.
  Result<crypto::Bytes> DecryptWithAd(std::span<const uint8_t> ad,
                                      std::span<const uint8_t> ciphertext);
  // k = REKEY(k) (spec 4.2, 5.1); n is unchanged. Without a key there is nothing to do.
  void Rekey();

 private:
  friend class config::NoiseKeyLog;  // Test builds' key log only (config/test_hooks.h).

  crypto::SecretBytes key_;
  uint64_t nonce_ = 0;
};

}  // namespace inmost::noise
