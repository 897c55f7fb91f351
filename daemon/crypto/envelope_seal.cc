#include "daemon/crypto/envelope_seal.h"

#include <sodium.h>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/hash.h"
#include "daemon/crypto/wipe.h"

namespace inmost::crypto {
namespace {

constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::string_view kCommitmentLabel = "inmost envelope commitment v1";
static_assert(kContentKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

const uint8_t* Ptr(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

}  // namespace

std::string NewEnvelopeId() {
  std::string id(kEnvelopeIdSize, '\0');
  randombytes_buf(id.data(), id.size());
  return id;
}

std::string Commitment(std::string_view envelope_id, std::span<const uint8_t> key,
                       std::string_view body) {
  std::string out(kCommitmentSize, '\0');
  Blake2b(std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()),
          {AsBytes(kCommitmentLabel), AsBytes(envelope_id), key, AsBytes(body)});
  return out;
}

SealedBody SealBody(std::string_view envelope_id, std::string_view body) {
  SealedBody sealed{SecretBytes::Random(kContentKeySize), std::string(), std::string()};
  sealed.ciphertext.resize(kNonceSize + body.size() + kTagSize);
  auto* out = reinterpret_cast<uint8_t*>(sealed.ciphertext.data());
  randombytes_buf(out, kNonceSize);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kNonceSize, nullptr, Ptr(body), body.size(),
                                             Ptr(envelope_id), envelope_id.size(), nullptr, out,
                                             sealed.key.data());
  sealed.commitment = Commitment(envelope_id, sealed.key.span(), body);
  WipeCpuScratch();  // The key's words stay in registers and on the stack.
  return sealed;
}

Result<std::string> OpenBody(std::string_view envelope_id, std::span<const uint8_t> key,
                             std::string_view ciphertext, std::string_view commitment) {
  if (key.size() != kContentKeySize)
    return AuthenticationFailed("the released key has the wrong size");
  if (ciphertext.size() < kNonceSize + kTagSize) {
    return AuthenticationFailed("the envelope's ciphertext is too short");
  }
  std::string body(ciphertext.size() - kNonceSize - kTagSize, '\0');
  const uint8_t* in = Ptr(ciphertext);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<uint8_t*>(body.data()), nullptr,
                                                 nullptr, in + kNonceSize,
                                                 ciphertext.size() - kNonceSize, Ptr(envelope_id),
                                                 envelope_id.size(), in, key.data()) != 0) {
    WipeCpuScratch();
    return AuthenticationFailed("the released key does not open the envelope");
  }
  std::string expected = Commitment(envelope_id, key, body);
  WipeCpuScratch();
  if (commitment.size() != kCommitmentSize ||
      sodium_memcmp(expected.data(), commitment.data(), kCommitmentSize) != 0) {
    sodium_memzero(body.data(), body.size());
    return AuthenticationFailed("the envelope's body does not match its commitment");
  }
  return body;
}

}  // namespace inmost::crypto
