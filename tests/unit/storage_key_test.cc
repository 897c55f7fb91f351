#include "daemon/store/storage_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "daemon/crypto/bytes.h"
#include "tests/unit/temp_dir.h"

namespace inmost::store {
namespace {

using test::TempDir;

crypto::SecretBytes Passphrase(std::string_view text) {
  return crypto::SecretBytes::CopyOf(crypto::AsBytes(text));
}

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteAll(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(StorageKeyTest, KeyFileIsPrivateAndLoadsBack) {
  TempDir tmp;
  const auto path = tmp.path() / "storage.key";
  auto created = CreateKeyFile(path);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->size(), kStorageKeySize);
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(std::filesystem::file_size(path), kStorageKeySize);

  auto loaded = LoadKeyFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->Equals(created->span()));
}

TEST(StorageKeyTest, KeyFilesAreRandom) {
  TempDir tmp;
  auto a = CreateKeyFile(tmp.path() / "a");
  auto b = CreateKeyFile(tmp.path() / "b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->Equals(b->span()));
}

TEST(StorageKeyTest, CreateKeyFileNeverOverwrites) {
  TempDir tmp;
  const auto path = tmp.path() / "storage.key";
  auto first = CreateKeyFile(path);
  ASSERT_TRUE(first.ok());
  auto second = CreateKeyFile(path);
  EXPECT_EQ(second.status().code(), Code::kAlreadyExists);
  auto loaded = LoadKeyFile(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->Equals(first->span()));
}

TEST(StorageKeyTest, KeyFileReadableByOthersIsRefused) {
  TempDir tmp;
  const auto path = tmp.path() / "storage.key";
  ASSERT_TRUE(CreateKeyFile(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto loaded = LoadKeyFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Code::kPermissionDenied);
  EXPECT_NE(loaded.status().message().find("chmod 600 " + path.string()), std::string::npos);
  EXPECT_NE(loaded.status().message().find("0644"), std::string::npos);
}

TEST(StorageKeyTest, KeyFileOfWrongSizeIsCorruption) {
  TempDir tmp;
  const auto path = tmp.path() / "storage.key";
  WriteAll(path, std::string(kStorageKeySize - 1, 'k'));
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_EQ(LoadKeyFile(path).status().code(), Code::kCorruption);
  WriteAll(path, std::string(kStorageKeySize + 1, 'k'));
  EXPECT_EQ(LoadKeyFile(path).status().code(), Code::kCorruption);
}

TEST(StorageKeyTest, MissingKeyFileIsNotFound) {
  TempDir tmp;
  EXPECT_EQ(LoadKeyFile(tmp.path() / "none").status().code(), Code::kNotFound);
}

TEST(StorageKeyTest, WrappedKeyOpensWithRightPassphrase) {
  TempDir tmp;
  const auto path = tmp.path() / "storage.key.wrapped";
  auto created = CreateWrapped(path, Passphrase("correct horse"), KdfLimits::Minimum());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->size(), kStorageKeySize);
  EXPECT_EQ(ModeOf(path), 0600u);

  auto loaded = LoadWrapped(path, Passphrase("correct horse"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->Equals(created->span()));
}

TEST(StorageKeyTest, WrappedKeyWithDefaultInteractiveLimits) {
  TempDir tmp;
  const auto path = tmp.path() / "storage.key.wrapped";
  auto created = CreateWrapped(path, Passphrase("pass"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto loaded = LoadWrapped(path, Passphrase("pass"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->Equals(created->span()));
}

TEST(StorageKeyTest, WrappedKeyWithWrongPassphraseIsAuthenticationFailed) {
  TempDir tmp;
  const auto path = tmp.path() / "storage.key.wrapped";
  ASSERT_TRUE(CreateWrapped(path, Passphrase("right"), KdfLimits::Minimum()).ok());
  auto loaded = LoadWrapped(path, Passphrase("wrong"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Code::kAuthenticationFailed);
  EXPECT_EQ(loaded.status().message(), "wrong passphrase");
}

TEST(StorageKeyTest, TruncatedWrappedKeyIsCorruption) {
  TempDir tmp;
  const auto path = tmp.path() / "storage.key.wrapped";
  ASSERT_TRUE(CreateWrapped(path, Passphrase("pass"), KdfLimits::Minimum()).ok());
  const std::string full = ReadAll(path);
  for (size_t keep : {size_t{0}, size_t{5}, size_t{40}, full.size() - 1}) {
    WriteAll(path, std::string_view(full).substr(0, keep));
    auto loaded = LoadWrapped(path, Passphrase("pass"));
    EXPECT_EQ(loaded.status().code(), Code::kCorruption) << "kept " << keep << " bytes";
  }
}

TEST(StorageKeyTest, GarbledWrappedKeyHeaderIsCorruption) {
  TempDir tmp;
  const auto path = tmp.path() / "storage.key.wrapped";
  ASSERT_TRUE(CreateWrapped(path, Passphrase("pass"), KdfLimits::Minimum()).ok());
  const std::string full = ReadAll(path);

  std::string bad_magic = full;
  bad_magic[0] ^= 0x01;
  WriteAll(path, bad_magic);
  EXPECT_EQ(LoadWrapped(path, Passphrase("pass")).status().code(), Code::kCorruption);

  std::string huge_memlimit = full;
  huge_memlimit[24] = '\x7f';  // Top byte of the memlimit field.
  WriteAll(path, huge_memlimit);
  EXPECT_EQ(LoadWrapped(path, Passphrase("pass")).status().code(), Code::kCorruption);
}

TEST(StorageKeyTest, NewerWrappedFormatIsUnsupported) {
  TempDir tmp;
  const auto path = tmp.path() / "storage.key.wrapped";
  ASSERT_TRUE(CreateWrapped(path, Passphrase("pass"), KdfLimits::Minimum()).ok());
  std::string file = ReadAll(path);
  file[11] = 2;  // Low byte of the big-endian version after the 8-byte magic.
  WriteAll(path, file);
  auto loaded = LoadWrapped(path, Passphrase("pass"));
  EXPECT_EQ(loaded.status().code(), Code::kUnsupported);
}

TEST(StorageKeyTest, WrapKeyRewrapsAnExistingKey) {
  TempDir tmp;
  auto key = CreateKeyFile(tmp.path() / "storage.key");
  ASSERT_TRUE(key.ok());
  const auto wrapped = tmp.path() / "storage.key.wrapped";
  ASSERT_TRUE(WrapKey(wrapped, *key, Passphrase("p"), KdfLimits::Minimum()).ok());
  auto loaded = LoadWrapped(wrapped, Passphrase("p"));
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->Equals(key->span()));
  EXPECT_EQ(WrapKey(wrapped, *key, Passphrase("p"), KdfLimits::Minimum()).code(),
            Code::kAlreadyExists);
}

TEST(StorageKeyTest, EmptyPassphraseIsRefused) {
  TempDir tmp;
  auto created = CreateWrapped(tmp.path() / "w", crypto::SecretBytes(), KdfLimits::Minimum());
  EXPECT_EQ(created.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "w"));
}

}  // namespace
}  // namespace inmost::store
