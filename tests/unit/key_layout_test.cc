// Hidden keys (schema 3): what LevelDB sees of a store names nothing, a value moved or
// kept from the older layout does not open, scans still find every record in key
// order, and the migration moves a named store over whole.
#include "daemon/store/key_layout.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/iterator.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/store/migrations.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "tests/unit/temp_dir.h"

namespace inmost::store {
namespace {

using crypto::AsBytes;
using crypto::SecretBytes;
using test::TempDir;

// Records of many families, as the daemon writes them (ids are 8 big-endian bytes).
const std::map<std::string, std::string>& SampleRecords() {
  static const auto* records = new std::map<std::string, std::string>{
      {std::string("h/\0\0\0\0\0\0\0\x01", 10), "first message"},
      {std::string("h/\0\0\0\0\0\0\0\x02", 10), "second message"},
      {std::string("in/\0\0\0\0\0\0\0\x07", 11), "index"},
      {std::string("d/\x01\x34\x56\x78", 6), "a day"},
      {"pin/b", "pinned b"},
      {"pin/a", "pinned a"},
      {"ek/envelope", "withheld key"},
      {"c/counters", "counters"},
      {"invite/secret", "an invite"},
  };
  return *records;
}

// Every LevelDB key of the store in `dir`, read as a thief with the disk would.
std::vector<std::string> RawKeys(const std::filesystem::path& dir) {
  leveldb::DB* db = nullptr;
  leveldb::Options options;
  EXPECT_TRUE(leveldb::DB::Open(options, dir.string(), &db).ok());
  std::unique_ptr<leveldb::DB> owned(db);
  std::vector<std::string> keys;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator({}));
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
  return keys;
}

class KeyLayoutTest : public ::testing::Test {
 protected:
  std::filesystem::path dir() const { return tmp_.path() / "store"; }

  std::unique_ptr<SealedStore> Open(OpenMode mode, const Migrations& migrations) {
    auto store = SealedStore::Open(dir(), SecretBytes::CopyOf(key_.span()), mode, migrations);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  void PutSamples(SealedStore& store) {
    for (const auto& [key, value] : SampleRecords()) {
      ASSERT_TRUE(store.Put(key, AsBytes(value)).ok()) << key;
    }
  }

  void ExpectSamples(const SealedStore& store) {
    for (const auto& [key, value] : SampleRecords()) {
      auto got = store.Get(key);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, value);
    }
    std::vector<std::string> pins;
    ASSERT_TRUE(store
                    .ForEachReverse("pin/",
                                    [&](std::string_view k, std::string_view) {
                                      pins.emplace_back(k);
                                      return true;
                                    })
                    .ok());
    EXPECT_EQ(pins, (std::vector<std::string>{"pin/b", "pin/a"}));
  }

  // Asserts that no LevelDB key but the store's own tells a record's key.
  void ExpectKeysNameNothing() {
    const std::vector<std::string> keys = RawKeys(dir());
    size_t hidden = 0;
    for (const std::string& key : keys) {
      if (key.starts_with("meta/")) continue;
      ++hidden;
      ASSERT_EQ(key.size(), 17u);
      EXPECT_GE(key[0], 1);
      EXPECT_LE(key[0], 3);
      for (const auto& [name, value] : SampleRecords()) {
        EXPECT_EQ(key.find(name.substr(0, name.find('/') + 1)), std::string::npos);
      }
    }
    EXPECT_EQ(hidden, SampleRecords().size());
  }

  TempDir tmp_;
  SecretBytes key_ = SecretBytes::Random(kStorageKeySize);
};

TEST_F(KeyLayoutTest, NewStoreKeysNameNothingAndScansStillOrder) {
  {
    auto store = Open(OpenMode::kCreate, Migrations::ThisBuild());
    ASSERT_NE(store, nullptr);
    PutSamples(*store);
    ExpectSamples(*store);
  }
  ExpectKeysNameNothing();
  auto store = Open(OpenMode::kExisting, Migrations::ThisBuild());
  ASSERT_NE(store, nullptr);
  ExpectSamples(*store);
}

TEST_F(KeyLayoutTest, HistoryScannedAndSetsScannedLiveInTheirOwnClasses) {
  const KeyLayout layout = KeyLayout::Hidden(key_);
  EXPECT_EQ(layout.StoredKey(std::string("h/\0\0\0\0\0\0\0\x01", 10))[0], 3);
  EXPECT_EQ(layout.StoredKey("pin/a")[0], 2);
  EXPECT_EQ(layout.StoredKey("dx/a")[0], 2);
  EXPECT_EQ(layout.StoredKey("d/a")[0], 2);
  EXPECT_EQ(layout.StoredKey("in/a")[0], 1);
  EXPECT_EQ(layout.StoredKey("partner")[0], 1);
  EXPECT_EQ(layout.StoredKey("meta/schema_version"), "meta/schema_version");
  // Another storage key hashes the same record elsewhere.
  EXPECT_NE(KeyLayout::Hidden(SecretBytes::Random(kStorageKeySize)).StoredKey("pin/a"),
            layout.StoredKey("pin/a"));
  // A prefix that several classes share scans them all; a family's, its own class.
  EXPECT_EQ(layout.RangeFor("p").begin, "\x01");
  EXPECT_EQ(layout.RangeFor("p").end, "\x04");
  EXPECT_EQ(layout.RangeFor("pin/").begin, "\x02");
  EXPECT_EQ(layout.RangeFor("pin/").end, "\x03");
}

TEST_F(KeyLayoutTest, MigrationMovesANamedStoreOverWhole) {
  std::string named_counters;
  {
    auto store = Open(OpenMode::kCreate, Migrations::ThisBuild().UpTo(2));
    ASSERT_NE(store, nullptr);
    PutSamples(*store);
  }
  {
    const std::vector<std::string> keys = RawKeys(dir());
    ASSERT_NE(std::find(keys.begin(), keys.end(), "c/counters"), keys.end());  // Named.
    leveldb::DB* db = nullptr;
    ASSERT_TRUE(leveldb::DB::Open({}, dir().string(), &db).ok());
    ASSERT_TRUE(db->Get({}, "c/counters", &named_counters).ok());
    delete db;
  }
  {
    auto store = Open(OpenMode::kExisting, Migrations::ThisBuild());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->SchemaVersion(), kSchemaVersion);
    ExpectSamples(*store);
  }
  ExpectKeysNameNothing();

  // The value sealed under the named layout, put back under the record's hidden key
  // (a thief replaying an older copy of the disk), does not open.
  {
    leveldb::DB* db = nullptr;
    ASSERT_TRUE(leveldb::DB::Open({}, dir().string(), &db).ok());
    ASSERT_TRUE(db->Put({}, KeyLayout::Hidden(key_).StoredKey("c/counters"), named_counters).ok());
    delete db;
  }
  auto store = Open(OpenMode::kExisting, Migrations::ThisBuild());
  ASSERT_NE(store, nullptr);
  Result<std::string> replayed = store->Get("c/counters");
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(replayed.status().code(), Code::kCorruption);
  EXPECT_NE(replayed.status().message().find("c/counters"), std::string::npos);
}

TEST_F(KeyLayoutTest, ValueSwappedBetweenHiddenKeysDoesNotOpen) {
  {
    auto store = Open(OpenMode::kCreate, Migrations::ThisBuild());
    ASSERT_NE(store, nullptr);
    PutSamples(*store);
  }
  const KeyLayout layout = KeyLayout::Hidden(key_);
  {
    leveldb::DB* db = nullptr;
    ASSERT_TRUE(leveldb::DB::Open({}, dir().string(), &db).ok());
    std::string pin_a;
    ASSERT_TRUE(db->Get({}, layout.StoredKey("pin/a"), &pin_a).ok());
    ASSERT_TRUE(db->Put({}, layout.StoredKey("pin/b"), pin_a).ok());
    delete db;
  }
  auto store = Open(OpenMode::kExisting, Migrations::ThisBuild());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Get("pin/b").status().code(), Code::kCorruption);
  EXPECT_EQ(*store->Get("pin/a"), "pinned a");
  // A scan of the family stops at the bad record: it is never skipped.
  EXPECT_EQ(store->ForEach("pin/", [](auto, auto) { return true; }).code(), Code::kCorruption);
  // Other records are still served.
  EXPECT_EQ(*store->Get("c/counters"), "counters");
}

}  // namespace
}  // namespace inmost::store
