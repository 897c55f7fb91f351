// Numbered migrations of the sealed store, proved with test-only steps (this build's
// own are tested with the fixtures): each pending step runs once at open, in one synced
// batch with its version, a step that fails leaves nothing of itself and runs again at
// the next open, and a store newer than the steps is refused untouched.
#include "daemon/store/migrations.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "tests/unit/temp_dir.h"

namespace inmost::store {
namespace {

using crypto::AsBytes;
using crypto::SecretBytes;
using test::TempDir;

// How often each test step ran, by the version it starts from.
struct Runs {
  int from1 = 0;
  int from2 = 0;
};

// 1 -> 2: every "h/" value gains a "v2:" prefix (a record rewritten in place).
Migration PrefixHistory(Runs& runs) {
  return {"history values gain a prefix",
          [&runs](const SealedStore& store, SealedStore::WriteBatch& batch) {
            ++runs.from1;
            return store.ForEach("h/", [&](std::string_view key, std::string_view value) {
              batch.Put(key, AsBytes("v2:" + std::string(value)));
              return true;
            });
          }};
}

// 2 -> 3: a new record appears and an old one goes. With `fail_first`, its first run
// adds both to the batch and then fails, as a crash or a full disk would stop it.
Migration AddIndex(Runs& runs, bool fail_first = false) {
  return {"an index record appears",
          [&runs, fail_first](const SealedStore&, SealedStore::WriteBatch& batch) {
            ++runs.from2;
            batch.Put("x/index", AsBytes("built"));
            batch.Delete("old/record");
            if (fail_first && runs.from2 == 1) return IoError("the disk hiccuped");
            return Status::Ok();
          }};
}

class MigrationsTest : public ::testing::Test {
 protected:
  std::filesystem::path dir() const { return tmp_.path() / "store"; }

  Result<std::unique_ptr<SealedStore>> Open(OpenMode mode, const Migrations& migrations) {
    return SealedStore::Open(dir(), SecretBytes::CopyOf(key_.span()), mode, migrations);
  }

  // A store of the first schema holding two history records and an old one.
  void CreateFirstSchema() {
    auto store = Open(OpenMode::kCreate, Migrations({}));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Put("h/1", AsBytes("hello")).ok());
    ASSERT_TRUE((*store)->Put("h/2", AsBytes("again")).ok());
    ASSERT_TRUE((*store)->Put("old/record", AsBytes("stale")).ok());
  }

  static std::string ValueOf(const SealedStore& store, std::string_view key) {
    auto value = store.Get(key);
    return value.ok() ? *value : "<" + std::string(CodeName(value.status().code())) + ">";
  }

  static uint32_t VersionOf(const SealedStore& store) {
    auto version = store.SchemaVersion();
    EXPECT_TRUE(version.ok()) << version.status().ToString();
    return version.ok() ? *version : 0;
  }

  TempDir tmp_;
  SecretBytes key_ = SecretBytes::Random(kStorageKeySize);
};

TEST(MigrationsOfThisBuild, LeadToTheSchemaVersionThisBuildWrites) {
  EXPECT_EQ(Migrations::ThisBuild().latest(), kSchemaVersion);
  EXPECT_EQ(Migrations({}).latest(), kFirstSchemaVersion);
}

TEST(MigrationsOfThisBuild, UpToKeepsTheFirstSteps) {
  Runs runs;
  const Migrations three({PrefixHistory(runs), AddIndex(runs), AddIndex(runs)});
  EXPECT_EQ(three.latest(), 4u);
  EXPECT_EQ(three.UpTo(1).latest(), 1u);
  EXPECT_EQ(three.UpTo(3).latest(), 3u);
  EXPECT_EQ(three.UpTo(9).latest(), 4u);
  EXPECT_EQ(three.UpTo(0).latest(), 1u);
}

TEST_F(MigrationsTest, NewStoreStartsAtTheLatestVersionWithoutRunningSteps) {
  Runs runs;
  auto store = Open(OpenMode::kCreate, Migrations({PrefixHistory(runs), AddIndex(runs)}));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(VersionOf(**store), 3u);
  EXPECT_EQ(runs.from1 + runs.from2, 0);
}

TEST_F(MigrationsTest, OpenRunsEveryPendingStepOnce) {
  CreateFirstSchema();
  Runs runs;
  const Migrations migrations({PrefixHistory(runs), AddIndex(runs)});
  {
    auto store = Open(OpenMode::kExisting, migrations);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(VersionOf(**store), 3u);
    EXPECT_EQ(ValueOf(**store, "h/1"), "v2:hello");
    EXPECT_EQ(ValueOf(**store, "h/2"), "v2:again");
    EXPECT_EQ(ValueOf(**store, "x/index"), "built");
    EXPECT_EQ(ValueOf(**store, "old/record"), "<not_found>");
  }
  EXPECT_EQ(runs.from1, 1);
  EXPECT_EQ(runs.from2, 1);

  // Already at the latest version: nothing runs again.
  auto again = Open(OpenMode::kExisting, migrations);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ValueOf(**again, "h/1"), "v2:hello");
  EXPECT_EQ(runs.from1, 1);
  EXPECT_EQ(runs.from2, 1);
}

TEST_F(MigrationsTest, StepThatFailsLeavesNothingAndResumesAtTheNextOpen) {
  CreateFirstSchema();
  Runs runs;
  const Migrations migrations({PrefixHistory(runs), AddIndex(runs, /*fail_first=*/true)});

  auto failed = Open(OpenMode::kExisting, migrations);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Code::kIoError);
  EXPECT_NE(failed.status().message().find("from schema version 2 to 3 (an index record appears)"),
            std::string::npos)
      << failed.status().message();
  EXPECT_NE(failed.status().message().find("the disk hiccuped"), std::string::npos);
  EXPECT_EQ(runs.from1, 1);
  EXPECT_EQ(runs.from2, 1);

  {
    // The first step committed with its version; nothing of the second did. Opened
    // by the steps up to 2, the store is as the first step left it.
    auto between = Open(OpenMode::kExisting, migrations.UpTo(2));
    ASSERT_TRUE(between.ok()) << between.status().ToString();
    EXPECT_EQ(VersionOf(**between), 2u);
    EXPECT_EQ(ValueOf(**between, "h/1"), "v2:hello");
    EXPECT_EQ(ValueOf(**between, "x/index"), "<not_found>");
    EXPECT_EQ(ValueOf(**between, "old/record"), "stale");
  }
  EXPECT_EQ(runs.from1, 1);

  // The next open re-runs only the step that did not commit.
  auto resumed = Open(OpenMode::kExisting, migrations);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(VersionOf(**resumed), 3u);
  EXPECT_EQ(runs.from1, 1);
  EXPECT_EQ(runs.from2, 2);
  EXPECT_EQ(ValueOf(**resumed, "h/1"), "v2:hello");  // Not "v2:v2:hello".
  EXPECT_EQ(ValueOf(**resumed, "x/index"), "built");
  EXPECT_EQ(ValueOf(**resumed, "old/record"), "<not_found>");
}

TEST_F(MigrationsTest, StoreNewerThanTheBuildIsRefusedUntouched) {
  Runs runs;
  const Migrations newer({PrefixHistory(runs), AddIndex(runs), AddIndex(runs)});
  ASSERT_GT(newer.latest(), kSchemaVersion);
  {
    auto store = Open(OpenMode::kCreate, newer);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Put("h/1", AsBytes("from the future")).ok());
  }
  auto refused = Open(OpenMode::kExisting, Migrations::ThisBuild());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnsupported);
  EXPECT_EQ(refused.status().message(),
            "this store was written by a newer inmost (schema 4); this build reads schema " +
                std::to_string(kSchemaVersion) + ": upgrade inmost");
  // The same through the steps of a build that knows version 2 only.
  EXPECT_EQ(Open(OpenMode::kExisting, newer.UpTo(2)).status().code(), Code::kUnsupported);

  auto later = Open(OpenMode::kExisting, newer);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(VersionOf(**later), 4u);
  EXPECT_EQ(ValueOf(**later, "h/1"), "from the future");
  EXPECT_EQ(runs.from1 + runs.from2, 0);
}

}  // namespace
}  // namespace inmost::store
