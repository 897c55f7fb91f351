#include "daemon/crypto/file_cipher.h"

#include <gtest/gtest.h>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/envelope_seal.h"

namespace inmost::crypto {
namespace {

TEST(FileCipher, ChunksCoverTheFileExactly) {
  EXPECT_EQ(ChunkCount(0), 1u);  // An empty file is one empty chunk.
  EXPECT_EQ(ChunkLength(0, 0), 0u);
  EXPECT_EQ(ChunkCount(1), 1u);
  EXPECT_EQ(ChunkCount(kChunkSize), 1u);
  EXPECT_EQ(ChunkCount(kChunkSize + 1), 2u);
  EXPECT_EQ(ChunkLength(kChunkSize + 1, 0), kChunkSize);
  EXPECT_EQ(ChunkLength(kChunkSize + 1, 1), 1u);
  EXPECT_EQ(ChunkLength(kChunkSize + 1, 2), 0u);
}

TEST(FileCipher, AChunkOpensOnlyInItsPlace) {
  SecretBytes key = NewFileKey();
  std::string id = NewEnvelopeId();
  std::string sealed = SealChunk(key.span(), id, 3, 10, "our first photo");
  EXPECT_EQ(sealed.size(), 15 + kChunkOverhead);
  EXPECT_EQ(sealed.find("photo"), std::string::npos);
  std::string plain;
  ASSERT_TRUE(OpenChunk(key.span(), id, 3, 10, sealed, plain).ok());
  EXPECT_EQ(plain, "our first photo");
  // Moved to another index, cut off the end (another count), or taken to another file.
  EXPECT_EQ(OpenChunk(key.span(), id, 4, 10, sealed, plain).code(), Code::kAuthenticationFailed);
  EXPECT_EQ(OpenChunk(key.span(), id, 3, 4, sealed, plain).code(), Code::kAuthenticationFailed);
  EXPECT_EQ(OpenChunk(key.span(), NewEnvelopeId(), 3, 10, sealed, plain).code(),
            Code::kAuthenticationFailed);
  SecretBytes other = NewFileKey();
  EXPECT_EQ(OpenChunk(other.span(), id, 3, 10, sealed, plain).code(), Code::kAuthenticationFailed);
  sealed[30] ^= 1;
  EXPECT_EQ(OpenChunk(key.span(), id, 3, 10, sealed, plain).code(), Code::kAuthenticationFailed);
}

TEST(FileCipher, TheSameChunkSealsDifferentlyEachTime) {
  SecretBytes key = NewFileKey();
  std::string id = NewEnvelopeId();
  EXPECT_NE(SealChunk(key.span(), id, 0, 1, "same"), SealChunk(key.span(), id, 0, 1, "same"));
}

TEST(FileCipher, AnEnvelopesFileKeyComesFromItsContentKeyOnly) {
  SecretBytes content = SecretBytes::Random(kContentKeySize);
  SecretBytes a = FileKeyFromContentKey(content.span());
  SecretBytes b = FileKeyFromContentKey(content.span());
  EXPECT_TRUE(a.Equals(b.span()));
  EXPECT_FALSE(a.Equals(content.span()));
  SecretBytes other = SecretBytes::Random(kContentKeySize);
  EXPECT_FALSE(a.Equals(FileKeyFromContentKey(other.span()).span()));
}

TEST(FileCipher, MetaOpensWithTheFileKeyOnly) {
  SecretBytes key = NewFileKey();
  std::string id = NewEnvelopeId();
  std::string sealed = SealFileMeta(key.span(), id, "anniversary.jpg");
  EXPECT_EQ(sealed.find("anniversary"), std::string::npos);
  auto meta = OpenFileMeta(key.span(), id, sealed);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(*meta, "anniversary.jpg");
  SecretBytes other = NewFileKey();
  EXPECT_EQ(OpenFileMeta(other.span(), id, sealed).status().code(), Code::kAuthenticationFailed);
  // A chunk is not meta, nor meta a chunk.
  std::string chunk = SealChunk(key.span(), id, 0, 1, "anniversary.jpg");
  EXPECT_FALSE(OpenFileMeta(key.span(), id, chunk).ok());
}

TEST(FileCipher, TheHashIsKeyedAndCoversEveryByte) {
  SecretBytes key = NewFileKey();
  auto hash = [&](std::span<const uint8_t> k, std::initializer_list<std::string_view> parts) {
    FileHash h(k);
    for (auto part : parts) h.Update(part);
    return h.Final();
  };
  std::string whole = hash(key.span(), {"hello ", "world"});
  EXPECT_EQ(whole.size(), kFileHashSize);
  EXPECT_EQ(whole, hash(key.span(), {"hello world"}));  // Chunking does not matter.
  EXPECT_NE(whole, hash(key.span(), {"hello World"}));
  SecretBytes other = NewFileKey();
  EXPECT_NE(whole, hash(other.span(), {"hello world"}));
}

}  // namespace
}  // namespace inmost::crypto
