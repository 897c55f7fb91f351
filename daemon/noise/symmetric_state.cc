#include "daemon/noise/symmetric_state.h"

#include <algorithm>

#include "daemon/noise/limits.h"

namespace inmost::noise {

using crypto::Bytes;
using crypto::SecretBytes;

SymmetricState::SymmetricState(std::string_view protocol_name, HashFunction hash) : hash_(hash) {
  // A name that fits in HASHLEN is used zero-padded; a longer one is hashed.
  const auto name = crypto::AsBytes(protocol_name);
  if (name.size() <= hash_.hash_len()) {
    h_.assign(hash_.hash_len(), 0);
    std::copy(name.begin(), name.end(), h_.begin());
  } else {
    h_ = hash_.Hash({name});
  }
  chaining_key_ = SecretBytes::CopyOf(h_);
}

SecretBytes SymmetricState::CipherKeyFrom(const SecretBytes& hkdf_output) {
  return SecretBytes::CopyOf(hkdf_output.span().first(kKeySize));
}

void SymmetricState::MixKey(std::span<const uint8_t> input_key_material) {
  auto [ck, temp_k] = hash_.Hkdf2(chaining_key_.span(), input_key_material);
  chaining_key_ = std::move(ck);
  cipher_ = CipherState(CipherKeyFrom(temp_k));
}

void SymmetricState::MixHash(std::span<const uint8_t> data) {
  h_ = hash_.Hash({h_, data});
}

void SymmetricState::MixKeyAndHash(std::span<const uint8_t> input_key_material) {
  auto [ck, temp_h, temp_k] = hash_.Hkdf3(chaining_key_.span(), input_key_material);
  chaining_key_ = std::move(ck);
  MixHash(temp_h.span());
  cipher_ = CipherState(CipherKeyFrom(temp_k));
}

Result<Bytes> SymmetricState::EncryptAndHash(std::span<const uint8_t> plaintext) {
  INMOST_ASSIGN_OR_RETURN(Bytes ciphertext, cipher_.EncryptWithAd(h_, plaintext));
  MixHash(ciphertext);
  return ciphertext;
}

Result<Bytes> SymmetricState::DecryptAndHash(std::span<const uint8_t> ciphertext) {
  INMOST_ASSIGN_OR_RETURN(Bytes plaintext, cipher_.DecryptWithAd(h_, ciphertext));
  MixHash(ciphertext);
  return plaintext;
}

std::pair<CipherState, CipherState> SymmetricState::Split() {
  auto [temp_k1, temp_k2] = hash_.Hkdf2(chaining_key_.span(), {});
  chaining_key_.Reset();
  cipher_ = CipherState();
  return {CipherState(CipherKeyFrom(temp_k1)), CipherState(CipherKeyFrom(temp_k2))};
}

}  // namespace inmost::noise
