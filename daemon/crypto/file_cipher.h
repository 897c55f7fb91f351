// The cryptography of a file in transit and at rest: the file is cut into chunks,
// each sealed on its own (XChaCha20-Poly1305, random nonce) under a per-file key,
// with the transfer id, its index and the chunk count as associated data, so a chunk
// cannot be moved, dropped from the end or taken from another file. A keyed BLAKE2b
// over the whole plaintext checks the file end to end. It never stores or sends
// anything, and the file key leaves only as SecretBytes.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::crypto {

inline constexpr size_t kTransferIdSize = 16;
inline constexpr size_t kFileKeySize = 32;
inline constexpr size_t kFileHashSize = 32;
// Plaintext bytes per chunk: a sealed chunk and its FileChunk fields fit in one
// Noise transport message (65535 bytes, less the tag).
inline constexpr size_t kChunkSize = size_t{63} * 1024;
inline constexpr size_t kChunkOverhead =
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
inline constexpr size_t kSealedChunkSize = kChunkSize + kChunkOverhead;

// Chunks in a file of `size` bytes (an empty file still has one, empty chunk).
uint64_t ChunkCount(uint64_t size);
// Plaintext bytes of chunk `index` of a file of `size` bytes.
size_t ChunkLength(uint64_t size, uint64_t index);

// A fresh random file key (plain files: sent to the partner with the offer).
SecretBytes NewFileKey();
// The file key of a file inside an envelope: derived from the envelope's content
// key (crypto_kdf), so it is withheld and released with it.
SecretBytes FileKeyFromContentKey(std::span<const uint8_t> content_key);

// Seals `plaintext` as chunk `index` of `chunk_count`: nonce, ciphertext, tag.
std::string SealChunk(std::span<const uint8_t> file_key, std::string_view transfer_id,
                      uint64_t index, uint64_t chunk_count, std::string_view plaintext);
// Opens a sealed chunk into `plaintext` (resized). AuthenticationFailed when it is not
// chunk `index` of this file under this key.
Status OpenChunk(std::span<const uint8_t> file_key, std::string_view transfer_id, uint64_t index,
                 uint64_t chunk_count, std::string_view sealed, std::string& plaintext);

// Seals (and opens) the small metadata of a file inside an envelope (its name and
// type), under the file key.
std::string SealFileMeta(std::span<const uint8_t> file_key, std::string_view transfer_id,
                         std::string_view meta);
Result<std::string> OpenFileMeta(std::span<const uint8_t> file_key, std::string_view transfer_id,
                                 std::string_view sealed);

// BLAKE2b-256 of a file's plaintext, keyed with a key derived from the file key: it
// tells nothing about the content to someone without the key.
class FileHash {
 public:
  explicit FileHash(std::span<const uint8_t> file_key);
  ~FileHash();
  FileHash(const FileHash&) = delete;
  FileHash& operator=(const FileHash&) = delete;
  void Update(std::string_view bytes);
  // The hash of everything given to Update; call once.
  std::string Final();

 private:
  crypto_generichash_state state_;
};

}  // namespace inmost::crypto
