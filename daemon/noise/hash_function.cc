#include "daemon/noise/hash_function.h"

#include <sodium.h>

#include <algorithm>
#include <string>

namespace inmost::noise {
namespace {

using crypto::Bytes;
using crypto::SecretBytes;

constexpr size_t kBlake2bHashLen = 64;
constexpr size_t kBlake2bBlockLen = 128;
constexpr size_t kSha256HashLen = crypto_hash_sha256_BYTES;
constexpr size_t kSha256BlockLen = 64;
static_assert(kBlake2bHashLen == crypto_generichash_BYTES_MAX);
static_assert(kBlake2bHashLen == HashFunction::kMaxHashLen);

// RFC 2104 pads.
constexpr uint8_t kInnerPad = 0x36;
constexpr uint8_t kOuterPad = 0x5c;

// Incremental HASH, so HMAC and MixHash need not concatenate into temporary buffers.
// The state is wiped on destruction because inside HMAC it depends on the key.
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm) : algorithm_(algorithm) {
    if (algorithm_ == HashAlgorithm::kBlake2b) {
      crypto_generichash_init(&state_.blake2b, nullptr, 0, kBlake2bHashLen);
    } else {
      crypto_hash_sha256_init(&state_.sha256);
    }
  }
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  ~Hasher() { sodium_memzero(&state_, sizeof(state_)); }

  void Update(std::span<const uint8_t> data) {
    if (algorithm_ == HashAlgorithm::kBlake2b) {
      crypto_generichash_update(&state_.blake2b, data.data(), data.size());
    } else {
      crypto_hash_sha256_update(&state_.sha256, data.data(), data.size());
    }
  }

  // Writes HASHLEN bytes to `out`.
  void Final(std::span<uint8_t> out) {
    if (algorithm_ == HashAlgorithm::kBlake2b) {
      crypto_generichash_final(&state_.blake2b, out.data(), out.size());
    } else {
      crypto_hash_sha256_final(&state_.sha256, out.data());
    }
  }

 private:
  HashAlgorithm algorithm_;
  union {
    crypto_generichash_state blake2b;
    crypto_hash_sha256_state sha256;
  } state_;
};

// Spec 4.3: temp_key = HMAC(ck, ikm); output1 = HMAC(temp_key, byte(0x01));
// output_i = HMAC(temp_key, output_{i-1} || byte(i)). Fills every element of `outputs`.
void Hkdf(const HashFunction& hash, std::span<const uint8_t> chaining_key,
          std::span<const uint8_t> input_key_material, std::span<SecretBytes> outputs) {
  SecretBytes temp_key = hash.Hmac(chaining_key, {input_key_material});
  std::span<const uint8_t> previous;  // Empty for output1.
  for (size_t i = 0; i < outputs.size(); ++i) {
    const uint8_t counter[] = {static_cast<uint8_t>(i + 1)};
    outputs[i] = hash.Hmac(temp_key.span(), {previous, counter});
    previous = outputs[i].span();
  }
}

}  // namespace

Result<HashFunction> HashFunction::FromName(std::string_view name) {
  if (name == "BLAKE2b") return HashFunction(HashAlgorithm::kBlake2b);
  if (name == "SHA256") return HashFunction(HashAlgorithm::kSha256);
  return Unsupported("unsupported Noise hash function \"" + std::string(name) +
                     "\" (supported: BLAKE2b, SHA256)");
}

size_t HashFunction::hash_len() const {
  return algorithm_ == HashAlgorithm::kBlake2b ? kBlake2bHashLen : kSha256HashLen;
}

size_t HashFunction::block_len() const {
  return algorithm_ == HashAlgorithm::kBlake2b ? kBlake2bBlockLen : kSha256BlockLen;
}

Bytes HashFunction::Hash(std::initializer_list<std::span<const uint8_t>> parts) const {
  Hasher hasher(algorithm_);
  for (auto part : parts) hasher.Update(part);
  Bytes out(hash_len());
  hasher.Final(out);
  return out;
}

SecretBytes HashFunction::Hmac(std::span<const uint8_t> key,
                               std::initializer_list<std::span<const uint8_t>> data) const {
  // The pads and the inner digest live on the stack and are wiped before returning,
  // like the Hasher state: a sodium_malloc per temporary (mmap, mprotect, mlock)
  // cost ten times the handshake's X25519 work.
  struct Scratch {
    uint8_t key_block[kBlake2bBlockLen];
    uint8_t padded[kBlake2bBlockLen];
    uint8_t inner_digest[kMaxHashLen];
  } scratch{};
  const size_t block = block_len();
  // RFC 2104: a key longer than the block is hashed first, then zero-padded to the block.
  if (key.size() > block) {
    Hasher key_hasher(algorithm_);
    key_hasher.Update(key);
    key_hasher.Final({scratch.key_block, hash_len()});
  } else {
    std::copy(key.begin(), key.end(), scratch.key_block);
  }

  for (size_t i = 0; i < block; ++i) scratch.padded[i] = scratch.key_block[i] ^ kInnerPad;
  Hasher inner(algorithm_);
  inner.Update({scratch.padded, block});
  for (auto part : data) inner.Update(part);
  inner.Final({scratch.inner_digest, hash_len()});

  for (size_t i = 0; i < block; ++i) scratch.padded[i] = scratch.key_block[i] ^ kOuterPad;
  Hasher outer(algorithm_);
  outer.Update({scratch.padded, block});
  outer.Update({scratch.inner_digest, hash_len()});
  SecretBytes out(hash_len());
  outer.Final(out.span());
  sodium_memzero(&scratch, sizeof scratch);
  return out;
}

std::array<SecretBytes, 2> HashFunction::Hkdf2(std::span<const uint8_t> chaining_key,
                                               std::span<const uint8_t> input_key_material) const {
  std::array<SecretBytes, 2> outputs;
  Hkdf(*this, chaining_key, input_key_material, outputs);
  return outputs;
}

std::array<SecretBytes, 3> HashFunction::Hkdf3(std::span<const uint8_t> chaining_key,
                                               std::span<const uint8_t> input_key_material) const {
  std::array<SecretBytes, 3> outputs;
  Hkdf(*this, chaining_key, input_key_material, outputs);
  return outputs;
}

}  // namespace inmost::noise
