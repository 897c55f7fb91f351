// The two ends of a file on disk: the sender's SourceFile (which must notice a file
// changing under it) and the recipient's BlobFile (sealed chunks at fixed places).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "daemon/core/files/received_file.h"
#include "daemon/core/files/source_file.h"
#include "daemon/crypto/envelope_seal.h"
#include "daemon/crypto/file_cipher.h"
#include "daemon/store/blob_file.h"
#include "tests/unit/temp_dir.h"

namespace inmost {
namespace {

void WriteFile(const std::filesystem::path& path, const std::string& content,
               std::ios::openmode mode = std::ios::trunc) {
  std::ofstream out(path, std::ios::binary | mode);
  out << content;
}

TEST(SourceFile, ReadsChunksOfTheFileAsSent) {
  test::TempDir dir;
  auto path = dir.path() / "note.txt";
  std::string content(crypto::kChunkSize + 10, 'a');
  content.back() = 'z';
  WriteFile(path, content);
  records::OutgoingTransfer record;
  auto file = core::SourceFile::Open(path, record);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(record.size(), content.size());
  EXPECT_EQ(record.path(), path.string());
  std::string chunk;
  ASSERT_TRUE((*file)->ReadChunk(1, chunk).ok());
  EXPECT_EQ(chunk, content.substr(crypto::kChunkSize));
  // After a restart the same file is found again.
  EXPECT_TRUE(core::SourceFile::Reopen(record).ok());
}

TEST(SourceFile, AChangeIsAnErrorNotData) {
  test::TempDir dir;
  auto path = dir.path() / "growing.log";
  WriteFile(path, "first line\n");
  records::OutgoingTransfer record;
  auto file = core::SourceFile::Open(path, record);
  ASSERT_TRUE(file.ok());
  WriteFile(path, "second line\n", std::ios::app);
  std::string chunk;
  Status read = (*file)->ReadChunk(0, chunk);
  EXPECT_EQ(read.code(), Code::kFailedPrecondition);
  EXPECT_NE(read.message().find("changed"), std::string::npos) << read.message();
  EXPECT_EQ(core::SourceFile::Reopen(record).status().code(), Code::kFailedPrecondition);
}

TEST(SourceFile, RefusesWhatIsNotARegularFile) {
  test::TempDir dir;
  records::OutgoingTransfer record;
  EXPECT_EQ(core::SourceFile::Open(dir.path(), record).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(core::SourceFile::Open(dir.path() / "missing", record).status().code(),
            Code::kNotFound);
}

TEST(BlobFile, KeepsChunksInPlaceAndCutsWhatWasNotSynced) {
  test::TempDir dir;
  auto path = dir.path() / "blob";
  auto blob = store::BlobFile::Open(path, true);
  ASSERT_TRUE(blob.ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string a(crypto::kSealedChunkSize, 'a');
  std::string b(100, 'b');
  ASSERT_TRUE((*blob)->WriteChunk(0, a).ok());
  ASSERT_TRUE((*blob)->WriteChunk(1, b).ok());
  ASSERT_TRUE((*blob)->Sync().ok());
  EXPECT_EQ((*blob)->size(), a.size() + b.size());
  auto read = (*blob)->ReadChunk(1, b.size());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, b);
  ASSERT_TRUE((*blob)->Truncate(1).ok());
  EXPECT_EQ((*blob)->size(), a.size());
  EXPECT_EQ((*blob)->ReadChunk(1, b.size()).status().code(), Code::kCorruption);
  EXPECT_FALSE(store::BlobFile::Open(dir.path() / "none", false).ok());
}

// A blob as the recipient keeps it, and the record that describes it.
struct ReceivedBlob {
  crypto::SecretBytes key = crypto::NewFileKey();
  records::FileRecord record;
  std::filesystem::path path;
};

ReceivedBlob MakeBlob(const std::filesystem::path& dir, const std::string& content) {
  ReceivedBlob made;
  made.path = dir / "blob";
  made.record.set_transfer_id(crypto::NewEnvelopeId());
  made.record.set_size(content.size());
  const uint64_t chunks = crypto::ChunkCount(content.size());
  auto blob = store::BlobFile::Open(made.path, true);
  EXPECT_TRUE(blob.ok());
  crypto::FileHash hash(made.key.span());
  for (uint64_t i = 0; i < chunks; ++i) {
    std::string part = content.substr(i * crypto::kChunkSize, crypto::kChunkSize);
    hash.Update(part);
    EXPECT_TRUE((*blob)
                    ->WriteChunk(i, crypto::SealChunk(made.key.span(), made.record.transfer_id(), i,
                                                      chunks, part))
                    .ok());
  }
  made.record.set_file_hash(hash.Final());
  return made;
}

constexpr core::NameTaken kRefuse = core::NameTaken::kRefuse;
constexpr core::NameTaken kNextFree = core::NameTaken::kNextFree;

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ReceivedFile, SavesExactlyWhatWasSent) {
  test::TempDir dir;
  std::string content(2 * crypto::kChunkSize + 123, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7);
  ReceivedBlob blob = MakeBlob(dir.path(), content);
  auto to = dir.path() / "saved.bin";
  auto saved = core::SaveReceivedFile(blob.path, blob.key.span(), blob.record, to, kRefuse);
  ASSERT_TRUE(saved.ok()) << saved.status().message();
  EXPECT_EQ(*saved, to);
  EXPECT_EQ(ReadAll(to), content);
  struct stat st {};
  ASSERT_EQ(::stat(to.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Never over an existing file.
  EXPECT_EQ(
      core::SaveReceivedFile(blob.path, blob.key.span(), blob.record, to, kRefuse).status().code(),
      Code::kAlreadyExists);
  EXPECT_EQ(ReadAll(to), content);
}

TEST(ReceivedFile, ItsOwnNameTakenGetsTheNextFreeNumber) {
  test::TempDir dir;
  ReceivedBlob blob = MakeBlob(dir.path(), "a photo of the sea");
  const auto pic = dir.path() / "pic.png";
  for (const char* expected : {"pic.png", "pic (1).png", "pic (2).png"}) {
    auto saved = core::SaveReceivedFile(blob.path, blob.key.span(), blob.record, pic, kNextFree);
    ASSERT_TRUE(saved.ok()) << saved.status().message();
    EXPECT_EQ(*saved, dir.path() / expected);
    EXPECT_EQ(ReadAll(*saved), "a photo of the sea");
  }
  // No extension, or a name that is all extension: the number goes at the end.
  const auto notes = dir.path() / "notes";
  for (const char* expected : {"notes", "notes (1)"}) {
    auto saved = core::SaveReceivedFile(blob.path, blob.key.span(), blob.record, notes, kNextFree);
    ASSERT_TRUE(saved.ok()) << saved.status().message();
    EXPECT_EQ(*saved, dir.path() / expected);
  }
  const auto dotfile = dir.path() / ".profile";
  ASSERT_TRUE(
      core::SaveReceivedFile(blob.path, blob.key.span(), blob.record, dotfile, kNextFree).ok());
  auto second = core::SaveReceivedFile(blob.path, blob.key.span(), blob.record, dotfile, kNextFree);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(*second, dir.path() / ".profile (1)");
}

TEST(ReceivedFile, AWrongHashOrKeySavesNothing) {
  test::TempDir dir;
  ReceivedBlob blob = MakeBlob(dir.path(), "a short voice note");
  auto to = dir.path() / "saved.bin";
  records::FileRecord tampered = blob.record;
  tampered.mutable_file_hash()->at(0) ^= 1;
  EXPECT_EQ(
      core::SaveReceivedFile(blob.path, blob.key.span(), tampered, to, kRefuse).status().code(),
      Code::kCorruption);
  EXPECT_FALSE(std::filesystem::exists(to));
  crypto::SecretBytes other = crypto::NewFileKey();
  EXPECT_EQ(
      core::SaveReceivedFile(blob.path, other.span(), blob.record, to, kRefuse).status().code(),
      Code::kAuthenticationFailed);
  EXPECT_FALSE(std::filesystem::exists(to));
  EXPECT_EQ(core::SaveReceivedFile(dir.path() / "gone", blob.key.span(), blob.record, to, kRefuse)
                .status()
                .code(),
            Code::kNotFound);
}

}  // namespace
}  // namespace inmost
