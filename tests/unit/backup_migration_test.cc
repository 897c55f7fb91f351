// A backup made by an older schema restores into a newer build: the records land as
// they were written and the same migrations as at open bring them up to date. An
// archive newer than the build is refused before anything is created.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "daemon/crypto/bytes.h"
#include "daemon/store/backup_archive.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/migrations.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "tests/unit/temp_dir.h"

namespace inmost::store {
namespace {

using crypto::AsBytes;
using crypto::SecretBytes;
using test::TempDir;

constexpr std::string_view kPassphrase = "an old shoebox of letters";
// Where the archive's clear header keeps the store's schema version (u32, big-endian).
constexpr size_t kSchemaOffset = 12;

SecretBytes Passphrase() {
  return SecretBytes::CopyOf(AsBytes(kPassphrase));
}

// 1 -> 2, test only: every "h/" value gains a "v2:" prefix; counts its runs.
Migration PrefixHistory(int& runs) {
  return {"history values gain a prefix",
          [&runs](const SealedStore& store, SealedStore::WriteBatch& batch) {
            ++runs;
            return store.ForEach("h/", [&](std::string_view key, std::string_view value) {
              batch.Put(key, AsBytes("v2:" + std::string(value)));
              return true;
            });
          }};
}

class BackupMigrationTest : public ::testing::Test {
 protected:
  std::filesystem::path archive() const { return tmp_.path() / "old.inmost-backup"; }
  std::filesystem::path root() const { return tmp_.path() / "restored"; }

  // A store made by `migrations` holding two history records, backed up to archive().
  void BackUpStoreOf(const Migrations& migrations) {
    auto store = SealedStore::Open(tmp_.path() / "source", SecretBytes::Random(kStorageKeySize),
                                   OpenMode::kCreate, migrations);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Put("h/1", AsBytes("the first letter")).ok());
    ASSERT_TRUE((*store)->Put("partner/current", AsBytes("them")).ok());
    auto written = WriteBackup(**store, archive(), Passphrase(), KdfLimits::Minimum());
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  }

  uint32_t ArchiveSchema() const {
    std::ifstream in(archive(), std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    uint32_t schema = 0;
    for (size_t i = kSchemaOffset; i < kSchemaOffset + 4; ++i) {
      schema = (schema << 8) | static_cast<unsigned char>(bytes.at(i));
    }
    return schema;
  }

  Result<std::unique_ptr<SealedStore>> OpenRestored(const Migrations& migrations) {
    DataDir dir(root());
    auto key = LoadKeyFile(dir.key_file_path());
    if (!key.ok()) return key.status();
    return SealedStore::Open(dir.store_path(), std::move(*key), OpenMode::kExisting, migrations);
  }

  TempDir tmp_;
};

TEST_F(BackupMigrationTest, ArchiveRecordsTheStoresSchema) {
  int runs = 0;
  BackUpStoreOf(Migrations({PrefixHistory(runs)}));
  EXPECT_EQ(ArchiveSchema(), 2u);
}

TEST_F(BackupMigrationTest, OlderArchiveIsMigratedWhileRestored) {
  BackUpStoreOf(Migrations({}));
  EXPECT_EQ(ArchiveSchema(), 1u);

  int runs = 0;
  const Migrations newer({PrefixHistory(runs)});
  auto restored = RestoreBackup(archive(), Passphrase(), root(), newer);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->records, 2u);
  EXPECT_EQ(runs, 1);

  auto store = OpenRestored(newer);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(runs, 1);  // Done during the restore, not again at open.
  auto version = (*store)->SchemaVersion();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 2u);
  auto history = (*store)->Get("h/1");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(*history, "v2:the first letter");
  auto partner = (*store)->Get("partner/current");
  ASSERT_TRUE(partner.ok());
  EXPECT_EQ(*partner, "them");
}

TEST_F(BackupMigrationTest, SameSchemaRestoresWithoutSteps) {
  int runs = 0;
  const Migrations same({PrefixHistory(runs)});
  BackUpStoreOf(same);
  ASSERT_TRUE(RestoreBackup(archive(), Passphrase(), root(), same).ok());
  EXPECT_EQ(runs, 0);
  auto store = OpenRestored(same);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto history = (*store)->Get("h/1");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(*history, "the first letter");
}

TEST_F(BackupMigrationTest, ArchiveNewerThanTheBuildIsRefused) {
  int runs = 0;
  // One step beyond this build's.
  std::vector<Migration> steps(Migrations::ThisBuild().latest() - kFirstSchemaVersion,
                               PrefixHistory(runs));
  steps.push_back(PrefixHistory(runs));
  BackUpStoreOf(Migrations(steps));
  auto restored = RestoreBackup(archive(), Passphrase(), root(), Migrations::ThisBuild());
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.status().code(), Code::kUnsupported);
  EXPECT_NE(
      restored.status().message().find("schema version " + std::to_string(kSchemaVersion + 1)),
      std::string::npos)
      << restored.status().message();
  EXPECT_NE(restored.status().message().find("newer inmost"), std::string::npos)
      << restored.status().message();
  EXPECT_FALSE(std::filesystem::exists(root()));
}

TEST_F(BackupMigrationTest, FailedMigrationLeavesNoDataDirectory) {
  BackUpStoreOf(Migrations({}));
  const Migrations failing(
      {{"a step that cannot finish", [](const SealedStore&, SealedStore::WriteBatch&) {
          return ResourceExhausted("no room for the new index");
        }}});
  auto restored = RestoreBackup(archive(), Passphrase(), root(), failing);
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.status().code(), Code::kResourceExhausted);
  EXPECT_FALSE(std::filesystem::exists(root()));
}

}  // namespace
}  // namespace inmost::store
