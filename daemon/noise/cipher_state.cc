#include "daemon/noise/cipher_state.h"

#include <sodium.h>

#include <array>
#include <stdexcept>
#include <string>
#include <utility>

#include "daemon/crypto/wipe.h"
#include "daemon/noise/limits.h"

namespace inmost::noise {
namespace {

using crypto::Bytes;
using crypto::SecretBytes;

static_assert(kKeySize == crypto_aead_chacha20poly1305_ietf_KEYBYTES);
static_assert(kTagSize == crypto_aead_chacha20poly1305_ietf_ABYTES);

// Spec 12.3: the 96-bit nonce is 32 zero bits followed by little-endian n.
constexpr size_t kNonceBytes = crypto_aead_chacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kNonceCounterOffset = 4;
constexpr int kBitsPerByte = 8;
static_assert(kNonceBytes == kNonceCounterOffset + sizeof(uint64_t));

std::array<uint8_t, kNonceBytes> EncodeNonce(uint64_t n) {
  std::array<uint8_t, kNonceBytes> nonce{};
  for (size_t i = 0; i < sizeof(uint64_t); ++i) {
    nonce[kNonceCounterOffset + i] = static_cast<uint8_t>(n >> (kBitsPerByte * i));
  }
  return nonce;
}

// ENCRYPT(k, n, ad, plaintext) into `out` (plaintext.size() + kTagSize bytes).
void Seal(const SecretBytes& key, uint64_t n, std::span<const uint8_t> ad,
          std::span<const uint8_t> plaintext, std::span<uint8_t> out) {
  const auto nonce = EncodeNonce(n);
  unsigned long long out_len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &out_len, plaintext.data(),
                                            plaintext.size(), ad.data(), ad.size(), nullptr,
                                            nonce.data(), key.data());
  crypto::WipeCpuScratch();  // The key's words stay in registers and on the stack.
}

Status NonceExhausted() {
  return ResourceExhausted(
      "nonce exhausted: this session has used all its message numbers; start a new session");
}

}  // namespace

CipherState::CipherState(SecretBytes key) : key_(std::move(key)) {
  // Noise keys are always 32 bytes; any other size is a programmer error.
  if (!key_.empty() && key_.size() != kKeySize) {
    throw std::invalid_argument("a ChaChaPoly key must be 32 bytes");
  }
}

Result<Bytes> CipherState::EncryptWithAd(std::span<const uint8_t> ad,
                                         std::span<const uint8_t> plaintext) {
  const size_t overhead = HasKey() ? kTagSize : 0;
  if (plaintext.size() > kMaxMessageSize - overhead) {
    return ResourceExhausted("message too large: a Noise message may be at most " +
                             std::to_string(kMaxMessageSize) + " bytes including overhead");
  }
  if (!HasKey()) return Bytes(plaintext.begin(), plaintext.end());
  if (nonce_ == kReservedNonce) return NonceExhausted();
  Bytes out(plaintext.size() + kTagSize);
  Seal(key_, nonce_, ad, plaintext, out);
  ++nonce_;
  return out;
}

Result<Bytes> CipherState::DecryptWithAd(std::span<const uint8_t> ad,
                                         std::span<const uint8_t> ciphertext) {
  if (ciphertext.size() > kMaxMessageSize) {
    return ResourceExhausted("message too large: a Noise message may be at most " +
                             std::to_string(kMaxMessageSize) + " bytes");
  }
  if (!HasKey()) return Bytes(ciphertext.begin(), ciphertext.end());
  if (nonce_ == kReservedNonce) return NonceExhausted();
  if (ciphertext.size() < kTagSize) {
    return InvalidArgument("message too short: it cannot hold the 16-byte authentication tag");
  }
  const auto nonce = EncodeNonce(nonce_);
  Bytes out(ciphertext.size() - kTagSize);
  unsigned long long out_len = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, ciphertext.data(),
                                                ciphertext.size(), ad.data(), ad.size(),
                                                nonce.data(), key_.data()) != 0) {
    crypto::WipeCpuScratch();
    return AuthenticationFailed(
        "message failed authentication: it was altered, replayed or reordered, or the peer "
        "uses different keys");
  }
  crypto::WipeCpuScratch();
  ++nonce_;
  return out;
}

void CipherState::Rekey() {
  if (!HasKey()) return;
  // REKEY(k) = first 32 bytes of ENCRYPT(k, 2^64-1, zerolen, zeros).
  const std::array<uint8_t, kKeySize> zeros{};
  SecretBytes sealed(kKeySize + kTagSize);
  Seal(key_, kReservedNonce, {}, zeros, sealed.span());
  key_ = SecretBytes::CopyOf(sealed.span().first(kKeySize));
}

}  // namespace inmost::noise
