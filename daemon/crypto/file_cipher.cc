#include "daemon/crypto/file_cipher.h"

#include <algorithm>

#include "daemon/crypto/wipe.h"

namespace inmost::crypto {
namespace {

constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
// crypto_kdf contexts are 8 bytes; subkey ids name what each derived key is for.
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "inmostfl";
constexpr uint64_t kFileKeyFromContentKey = 1;
constexpr uint64_t kHashKeyFromFileKey = 2;
constexpr std::string_view kMetaLabel = "inmost file meta v1";
static_assert(kFileKeySize == crypto_kdf_KEYBYTES);
static_assert(kFileKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

const uint8_t* Ptr(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

// Associated data of a chunk: transfer id, index and count (big-endian).
std::string ChunkAd(std::string_view transfer_id, uint64_t index, uint64_t chunk_count) {
  std::string ad(transfer_id);
  for (uint64_t value : {index, chunk_count}) {
    for (int shift = 56; shift >= 0; shift -= 8) ad.push_back(static_cast<char>(value >> shift));
  }
  return ad;
}

SecretBytes Derive(std::span<const uint8_t> key, uint64_t subkey_id) {
  SecretBytes out(kFileKeySize);
  if (key.size() != crypto_kdf_KEYBYTES) return out;  // All zero: opens nothing.
  crypto_kdf_derive_from_key(out.data(), out.size(), subkey_id, kKdfContext, key.data());
  return out;
}

std::string Seal(std::span<const uint8_t> key, std::string_view ad, std::string_view plaintext) {
  std::string sealed(kNonceSize + plaintext.size() + kTagSize, '\0');
  auto* out = reinterpret_cast<uint8_t*>(sealed.data());
  randombytes_buf(out, kNonceSize);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kNonceSize, nullptr, Ptr(plaintext),
                                             plaintext.size(), Ptr(ad), ad.size(), nullptr, out,
                                             key.data());
  WipeCpuScratch();  // The key's words stay in registers and on the stack.
  return sealed;
}

bool Open(std::span<const uint8_t> key, std::string_view ad, std::string_view sealed,
          std::string& plaintext) {
  if (key.size() != kFileKeySize || sealed.size() < kNonceSize + kTagSize) return false;
  plaintext.resize(sealed.size() - kNonceSize - kTagSize);
  const auto* in = Ptr(sealed);
  const bool opened =
      crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<uint8_t*>(plaintext.data()), nullptr, nullptr, in + kNonceSize,
          sealed.size() - kNonceSize, Ptr(ad), ad.size(), in, key.data()) == 0;
  WipeCpuScratch();
  return opened;
}

}  // namespace

uint64_t ChunkCount(uint64_t size) {
  return size == 0 ? 1 : (size + kChunkSize - 1) / kChunkSize;
}

size_t ChunkLength(uint64_t size, uint64_t index) {
  const uint64_t start = index * kChunkSize;
  if (start >= size) return 0;
  return static_cast<size_t>(std::min<uint64_t>(kChunkSize, size - start));
}

SecretBytes NewFileKey() {
  return SecretBytes::Random(kFileKeySize);
}

SecretBytes FileKeyFromContentKey(std::span<const uint8_t> content_key) {
  return Derive(content_key, kFileKeyFromContentKey);
}

std::string SealChunk(std::span<const uint8_t> file_key, std::string_view transfer_id,
                      uint64_t index, uint64_t chunk_count, std::string_view plaintext) {
  return Seal(file_key, ChunkAd(transfer_id, index, chunk_count), plaintext);
}

Status OpenChunk(std::span<const uint8_t> file_key, std::string_view transfer_id, uint64_t index,
                 uint64_t chunk_count, std::string_view sealed, std::string& plaintext) {
  if (!Open(file_key, ChunkAd(transfer_id, index, chunk_count), sealed, plaintext)) {
    return AuthenticationFailed("chunk " + std::to_string(index) + " of the file is damaged");
  }
  return Status::Ok();
}

std::string SealFileMeta(std::span<const uint8_t> file_key, std::string_view transfer_id,
                         std::string_view meta) {
  return Seal(file_key, std::string(kMetaLabel) + std::string(transfer_id), meta);
}

Result<std::string> OpenFileMeta(std::span<const uint8_t> file_key, std::string_view transfer_id,
                                 std::string_view sealed) {
  std::string meta;
  if (!Open(file_key, std::string(kMetaLabel) + std::string(transfer_id), sealed, meta)) {
    return AuthenticationFailed("the file's name and type do not open with its key");
  }
  return meta;
}

FileHash::FileHash(std::span<const uint8_t> file_key) {
  SecretBytes hash_key = Derive(file_key, kHashKeyFromFileKey);
  crypto_generichash_init(&state_, hash_key.data(), hash_key.size(), kFileHashSize);
}

FileHash::~FileHash() {
  sodium_memzero(&state_, sizeof state_);
}

void FileHash::Update(std::string_view bytes) {
  crypto_generichash_update(&state_, Ptr(bytes), bytes.size());
}

std::string FileHash::Final() {
  std::string out(kFileHashSize, '\0');
  crypto_generichash_final(&state_, reinterpret_cast<uint8_t*>(out.data()), out.size());
  return out;
}

}  // namespace inmost::crypto
