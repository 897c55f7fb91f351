#include "daemon/store/sealed_store.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/leveldb_bridge.h"
#include "daemon/store/record_key.h"
#include "daemon/store/storage_key.h"
#include "proto/records.pb.h"
#include "tests/unit/temp_dir.h"

namespace inmost::store {
namespace {

using crypto::AsBytes;
using crypto::SecretBytes;

using test::TempDir;

SecretBytes CopyKey(const SecretBytes& key) {
  return SecretBytes::CopyOf(key.span());
}

std::unique_ptr<SealedStore> OpenOrDie(const std::filesystem::path& dir, const SecretBytes& key,
                                       OpenMode mode) {
  auto store = SealedStore::Open(dir, CopyKey(key), mode);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Every (key, value) a scan yields, in order.
using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs Collect(const SealedStore& store, std::string_view prefix, bool reverse,
              size_t limit = SIZE_MAX) {
  Pairs out;
  auto fn = [&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return out.size() < limit;
  };
  Status s = reverse ? store.ForEachReverse(prefix, fn) : store.ForEach(prefix, fn);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// Raw access to the LevelDB under a store, to play the attacker who edits the files.
std::unique_ptr<leveldb::DB> OpenRaw(const std::filesystem::path& dir) {
  leveldb::Options options;
  options.create_if_missing = true;
  options.compression = leveldb::kNoCompression;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, dir.string(), &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return std::unique_ptr<leveldb::DB>(db);
}

// True when `needle` occurs in the raw bytes of any file under `root`.
bool AnyFileContains(const std::filesystem::path& root, std::string_view needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (bytes.find(needle) != std::string::npos) return true;
  }
  return false;
}

class SealedStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path dir() const { return tmp_.path() / "store"; }
  std::unique_ptr<SealedStore> Create() { return OpenOrDie(dir(), key_, OpenMode::kCreate); }
  std::unique_ptr<SealedStore> Reopen() { return OpenOrDie(dir(), key_, OpenMode::kExisting); }
  // The LevelDB key of record `key` in this store.
  std::string Stored(std::string_view key) const { return KeyLayout::Hidden(key_).StoredKey(key); }

  TempDir tmp_;
  SecretBytes key_ = SecretBytes::Random(kStorageKeySize);
};

TEST_F(SealedStoreTest, PutGetDelete) {
  auto store = Create();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("msg/1", AsBytes("hello")).ok());
  ASSERT_TRUE(store->Put("msg/empty", {}).ok());
  auto got = store->Get("msg/1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "hello");
  auto empty = store->Get("msg/empty");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");

  ASSERT_TRUE(store->Put("msg/1", AsBytes("replaced")).ok());
  EXPECT_EQ(*store->Get("msg/1"), "replaced");

  ASSERT_TRUE(store->Delete("msg/1").ok());
  EXPECT_EQ(store->Get("msg/1").status().code(), Code::kNotFound);
  EXPECT_TRUE(store->Delete("msg/1").ok());  // Deleting again is not an error.
  EXPECT_EQ(store->Get("never").status().code(), Code::kNotFound);
}

TEST_F(SealedStoreTest, ValuesSurviveReopen) {
  {
    auto store = Create();
    ASSERT_TRUE(store->Put("a", AsBytes("alpha")).ok());
  }
  auto store = Reopen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->Get("a"), "alpha");
}

TEST_F(SealedStoreTest, SecretsRoundTrip) {
  auto store = Create();
  SecretBytes secret = SecretBytes::Random(32);
  ASSERT_TRUE(store->PutSecret("identity/private", secret).ok());
  auto got = store->GetSecret("identity/private");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->Equals(secret.span()));
  EXPECT_EQ(store->GetSecret("identity/none").status().code(), Code::kNotFound);
}

TEST_F(SealedStoreTest, OpenModesRequireAbsenceOrPresence) {
  EXPECT_EQ(SealedStore::Open(dir(), CopyKey(key_), OpenMode::kExisting).status().code(),
            Code::kNotFound);
  auto store = Create();
  ASSERT_NE(store, nullptr);
  store.reset();
  EXPECT_EQ(SealedStore::Open(dir(), CopyKey(key_), OpenMode::kCreate).status().code(),
            Code::kAlreadyExists);
  EXPECT_EQ(SealedStore::Open(dir(), SecretBytes(16), OpenMode::kExisting).status().code(),
            Code::kInvalidArgument);
}

TEST_F(SealedStoreTest, SecondOpenWhileInUseIsUnavailable) {
  auto store = Create();
  ASSERT_NE(store, nullptr);
  auto second = SealedStore::Open(dir(), CopyKey(key_), OpenMode::kExisting);
  EXPECT_EQ(second.status().code(), Code::kUnavailable) << second.status().ToString();
}

TEST_F(SealedStoreTest, BatchIsAppliedAtomically) {
  auto store = Create();
  ASSERT_TRUE(store->Put("old", AsBytes("x")).ok());
  SealedStore::WriteBatch batch(*store);
  for (uint64_t seq = 1; seq <= 100; ++seq) {
    std::string key = "msg/";
    AppendUint64(key, seq);
    batch.Put(key, AsBytes("body " + std::to_string(seq)));
  }
  batch.PutSecret("ratchet", SecretBytes::Random(32));
  batch.Delete("old");
  EXPECT_EQ(batch.size(), 102u);
  // Nothing is visible until Write.
  EXPECT_EQ(store->Get("ratchet").status().code(), Code::kNotFound);
  ASSERT_TRUE(store->Write(batch).ok());

  EXPECT_EQ(Collect(*store, "msg/", false).size(), 100u);
  EXPECT_EQ(*store->Get("msg/" + EncodeUint64(42)), "body 42");
  EXPECT_TRUE(store->GetSecret("ratchet").ok());
  EXPECT_EQ(store->Get("old").status().code(), Code::kNotFound);

  batch.Clear();
  EXPECT_EQ(batch.size(), 0u);
}

TEST_F(SealedStoreTest, BatchForAnotherStoreIsRefused) {
  auto store = Create();
  TempDir other_tmp;
  auto other = OpenOrDie(other_tmp.path() / "store", key_, OpenMode::kCreate);
  SealedStore::WriteBatch batch(*other);
  batch.Put("k", AsBytes("v"));
  EXPECT_EQ(store->Write(batch).code(), Code::kInvalidArgument);
}

TEST_F(SealedStoreTest, ForEachVisitsPrefixInKeyOrder) {
  auto store = Create();
  for (uint64_t seq : {3, 1, 300, 2}) {
    ASSERT_TRUE(store->Put("h/" + EncodeUint64(seq), AsBytes(std::to_string(seq))).ok());
  }
  ASSERT_TRUE(store->Put("g/x", AsBytes("before")).ok());
  ASSERT_TRUE(store->Put("i/x", AsBytes("after")).ok());

  Pairs all = Collect(*store, "h/", false);
  ASSERT_EQ(all.size(), 4u);
  std::vector<std::string> values;
  for (const auto& [k, v] : all) values.push_back(v);
  EXPECT_EQ(values, (std::vector<std::string>{"1", "2", "3", "300"}));
  EXPECT_EQ(DecodeUint64(std::string_view(all[3].first).substr(2)), 300u);

  Pairs first_two = Collect(*store, "h/", false, 2);
  ASSERT_EQ(first_two.size(), 2u);
  EXPECT_EQ(first_two[1].second, "2");
  EXPECT_TRUE(Collect(*store, "none/", false).empty());
}

TEST_F(SealedStoreTest, ForEachReverseGivesTheLastN) {
  auto store = Create();
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    ASSERT_TRUE(store->Put("h/" + EncodeUint64(seq), AsBytes(std::to_string(seq))).ok());
  }
  ASSERT_TRUE(store->Put("g/x", AsBytes("before")).ok());
  ASSERT_TRUE(store->Put("i/x", AsBytes("after")).ok());

  Pairs last3 = Collect(*store, "h/", true, 3);
  ASSERT_EQ(last3.size(), 3u);
  EXPECT_EQ(last3[0].second, "10");
  EXPECT_EQ(last3[1].second, "9");
  EXPECT_EQ(last3[2].second, "8");
  EXPECT_EQ(Collect(*store, "h/", true).size(), 10u);
  // A prefix past the last key, and a prefix with no keys at all.
  EXPECT_EQ(Collect(*store, "i/", true).size(), 1u);
  EXPECT_TRUE(Collect(*store, "zzz", true).empty());
  EXPECT_TRUE(Collect(*store, "a", true).empty());
}

TEST_F(SealedStoreTest, ReverseScanHandlesPrefixWithoutSuccessor) {
  auto store = Create();
  ASSERT_TRUE(store->Put("\xff\x01", AsBytes("one")).ok());
  ASSERT_TRUE(store->Put("\xff\xff", AsBytes("two")).ok());
  Pairs got = Collect(*store, "\xff", true);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].second, "two");
  // The empty prefix is every record but the store's own, in key order too.
  Pairs everything = Collect(*store, "", true);
  ASSERT_EQ(everything.size(), 2u);
  EXPECT_EQ(everything.front().first, "\xff\xff");
}

TEST_F(SealedStoreTest, ValueMovedUnderAnotherKeyDoesNotOpen) {
  {
    auto store = Create();
    ASSERT_TRUE(store->Put("msg/a", AsBytes("for a")).ok());
    ASSERT_TRUE(store->Put("msg/b", AsBytes("for b")).ok());
  }
  {
    auto raw = OpenRaw(dir());
    std::string sealed_a;
    ASSERT_TRUE(raw->Get({}, Stored("msg/a"), &sealed_a).ok());
    ASSERT_TRUE(raw->Put({}, Stored("msg/b"), sealed_a).ok());
  }
  auto store = Reopen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->Get("msg/a"), "for a");
  Result<std::string> moved = store->Get("msg/b");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.status().code(), Code::kCorruption);
  EXPECT_NE(moved.status().message().find("msg/b"), std::string::npos);
  EXPECT_EQ(moved.status().message().find("for a"), std::string::npos);

  // A scan stops at the bad record instead of skipping it.
  size_t seen = 0;
  Status s = store->ForEach("msg/", [&](std::string_view, std::string_view) {
    ++seen;
    return true;
  });
  EXPECT_EQ(s.code(), Code::kCorruption);
  EXPECT_LE(seen, 1u);
  EXPECT_EQ(store->ForEachReverse("msg/", [](auto, auto) { return true; }).code(),
            Code::kCorruption);
}

// The nonce (first bytes) of every raw value in the LevelDB at `dir`.
std::vector<std::string> RawNonces(const std::filesystem::path& dir) {
  auto raw = OpenRaw(dir);
  std::vector<std::string> nonces;
  std::unique_ptr<leveldb::Iterator> it(raw->NewIterator({}));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->value().size() >= kSealNonceSize)
      nonces.emplace_back(it->value().data(), kSealNonceSize);
  }
  return nonces;
}

// Nonces come from a pool filled many at a time (sealed_store.cc): no two values
// may share one, past the pool's refills, and a forked child must not hand out the
// parent's pooled nonces.
TEST_F(SealedStoreTest, NoNonceIsUsedTwiceAcrossPoolRefillsAndFork) {
  constexpr int kValues = 1000;  // Several refills of the pool.
  {
    auto store = Create();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Put("warm", AsBytes("x")).ok());  // The pool is now part used.
    const std::filesystem::path child_dir = tmp_.path() / "child";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto other =
          SealedStore::Open(child_dir, SecretBytes::Random(kStorageKeySize), OpenMode::kCreate);
      bool ok = other.ok();
      for (int i = 0; ok && i < 10; ++i) {
        ok = (*other)->Put("c/" + std::to_string(i), AsBytes("child")).ok();
      }
      other = InvalidArgument("closed");
      ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    SealedStore::WriteBatch batch(*store);
    for (int i = 0; i < kValues; ++i) batch.Put("v/" + std::to_string(i), AsBytes("value"));
    ASSERT_TRUE(store->Write(batch).ok());
  }
  std::vector<std::string> nonces = RawNonces(dir());
  const size_t ours = nonces.size();
  EXPECT_GE(ours, static_cast<size_t>(kValues));
  for (auto& n : RawNonces(tmp_.path() / "child")) nonces.push_back(std::move(n));
  EXPECT_GE(nonces.size(), ours + 10);
  EXPECT_EQ(std::set<std::string>(nonces.begin(), nonces.end()).size(), nonces.size());
}

TEST_F(SealedStoreTest, TruncatedValueIsCorruption) {
  { auto store = Create(); }
  {
    auto raw = OpenRaw(dir());
    ASSERT_TRUE(raw->Put({}, Stored("short"), "tiny").ok());
  }
  auto store = Reopen();
  EXPECT_EQ(store->Get("short").status().code(), Code::kCorruption);
  EXPECT_EQ(store->GetSecret("short").status().code(), Code::kCorruption);
}

TEST_F(SealedStoreTest, WrongStorageKeyIsAuthenticationFailed) {
  { auto store = Create(); }
  auto opened = SealedStore::Open(dir(), SecretBytes::Random(kStorageKeySize), OpenMode::kExisting);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kAuthenticationFailed);
}

TEST_F(SealedStoreTest, NewerSchemaIsRefused) {
  {
    auto store = Create();
    records::SchemaVersion newer;
    newer.set_version(99);
    ASSERT_TRUE(store->Put(kSchemaVersionKey, AsBytes(newer.SerializeAsString())).ok());
  }
  auto opened = SealedStore::Open(dir(), CopyKey(key_), OpenMode::kExisting);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kUnsupported);
  EXPECT_EQ(opened.status().message(),
            "this store was written by a newer inmost (schema 99); this build reads schema " +
                std::to_string(kSchemaVersion) +
                ": "
                "upgrade inmost");
}

TEST_F(SealedStoreTest, StoreWithoutSchemaRecordIsCorruption) {
  { auto raw = OpenRaw(dir()); }
  EXPECT_EQ(SealedStore::Open(dir(), CopyKey(key_), OpenMode::kExisting).status().code(),
            Code::kCorruption);
}

TEST_F(SealedStoreTest, CompactPrefixRemovesDeletedValuesFromFiles) {
  {
    auto store = Create();
    ASSERT_TRUE(store->Put("msg/gone", AsBytes(std::string(512, 'g'))).ok());
  }
  std::string sealed;
  {
    auto raw = OpenRaw(dir());
    ASSERT_TRUE(raw->Get({}, Stored("msg/gone"), &sealed).ok());
  }
  // The sealed value is random-looking; any 64 bytes of it identify it in the files.
  const std::string needle = sealed.substr(100, 64);
  ASSERT_TRUE(AnyFileContains(dir(), needle));
  {
    auto store = Reopen();
    ASSERT_TRUE(store->Delete("msg/gone").ok());
    ASSERT_TRUE(store->CompactPrefix("").ok());
  }
  EXPECT_FALSE(AnyFileContains(dir(), needle));
}

// The point of the store: no plaintext value reaches any file of the data directory.
TEST(SealedStoreAtRestTest, PlaintextIsNowhereOnDisk) {
  TempDir tmp;
  DataDir data(tmp.path() / "inmost");
  ASSERT_TRUE(data.CreatePrivate().ok());
  auto key = CreateKeyFile(data.key_file_path());
  ASSERT_TRUE(key.ok());

  const std::string short_marker = "Zq7-short-MARKER";
  const std::string unit = "INMOST-PLAINTEXT-MARKER-0123456789abcdef/";
  std::string long_marker;
  while (long_marker.size() < 4096) long_marker += unit;
  {
    auto store = OpenOrDie(data.store_path(), *key, OpenMode::kCreate);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Put("msg/1", AsBytes(long_marker)).ok());
    ASSERT_TRUE(store->Put("msg/2", AsBytes(short_marker)).ok());
    SealedStore::WriteBatch batch(*store);
    batch.Put("msg/3", AsBytes(short_marker + long_marker));
    batch.PutSecret("secret/1", SecretBytes::CopyOf(AsBytes(short_marker)));
    ASSERT_TRUE(store->Write(batch).ok());
    // Flush memtables to tables too, so both log and table files are examined.
    ASSERT_TRUE(store->CompactPrefix("").ok());
    ASSERT_TRUE(store->Put("msg/4", AsBytes(long_marker)).ok());
  }
  {
    auto store = OpenOrDie(data.store_path(), *key, OpenMode::kExisting);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->Get("msg/1"), long_marker);
    EXPECT_EQ(*store->Get("msg/3"), short_marker + long_marker);
  }
  EXPECT_FALSE(AnyFileContains(data.root(), short_marker));
  EXPECT_FALSE(AnyFileContains(data.root(), unit));

  // Control: the same bytes written to plain LevelDB are found, so the scan can see them.
  TempDir plain;
  {
    auto raw = OpenRaw(plain.path() / "db");
    ASSERT_TRUE(raw->Put({}, "msg/1", long_marker).ok());
    ASSERT_TRUE(raw->Put({}, "msg/2", short_marker).ok());
  }
  EXPECT_TRUE(AnyFileContains(plain.path(), short_marker));
  EXPECT_TRUE(AnyFileContains(plain.path(), unit));
}

TEST(StoreRecordKeyTest, Uint64SortsNumerically) {
  EXPECT_EQ(EncodeUint64(0x0102030405060708), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_LT(EncodeUint64(255), EncodeUint64(256));
  EXPECT_LT(EncodeUint64(1), EncodeUint64(UINT64_MAX));
  EXPECT_EQ(DecodeUint64(EncodeUint64(UINT64_MAX)), UINT64_MAX);
  EXPECT_EQ(DecodeUint64(EncodeUint64(12345)), 12345u);
  EXPECT_FALSE(DecodeUint64("short").has_value());
}

TEST(StoreRecordKeyTest, PrefixSuccessorAndPrintable) {
  EXPECT_EQ(PrefixSuccessor("h/"), "h0");
  EXPECT_EQ(PrefixSuccessor("a\xff\xff"), "b");
  EXPECT_FALSE(PrefixSuccessor("").has_value());
  EXPECT_FALSE(PrefixSuccessor("\xff\xff").has_value());
  EXPECT_EQ(PrintableKey(std::string("msg/\x00\x01", 6)), "msg/\\x00\\x01");
  EXPECT_EQ(PrintableKey("a\\b"), "a\\x5cb");
}

}  // namespace
}  // namespace inmost::store
