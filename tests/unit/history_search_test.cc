// SearchHistory over a real sealed store: which entries match, in what order, and
// that splitting the history into ranges never changes the answer.
#include "daemon/core/history_search.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/store/record_key.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "proto/records.pb.h"
#include "tests/unit/temp_dir.h"

namespace inmost::core {
namespace {

using records::HistoryEntry;

std::string HistoryKey(uint64_t id) {
  std::string key = "h/";
  store::AppendUint64(key, id);
  return key;
}

class HistorySearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::SealedStore::Open(tmp_.path() / "store",
                                           crypto::SecretBytes::Random(store::kStorageKeySize),
                                           store::OpenMode::kCreate);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  // Stores `entry` under the next id, as the conversation does; returns the id.
  uint64_t Add(HistoryEntry entry) {
    entry.set_id(next_id_++);
    if (entry.direction() == HistoryEntry::DIRECTION_UNSPECIFIED) {
      entry.set_direction(entry.id() % 2 == 0 ? HistoryEntry::OUTGOING : HistoryEntry::INCOMING);
    }
    EXPECT_TRUE(
        store_->Put(HistoryKey(entry.id()), crypto::AsBytes(entry.SerializeAsString())).ok());
    return entry.id();
  }
  uint64_t AddText(std::string text) {
    HistoryEntry entry;
    entry.set_text(std::move(text));
    entry.set_state(HistoryEntry::DELIVERED);
    return Add(std::move(entry));
  }

  Result<SearchResult> Search(std::string_view words, uint32_t limit = 50, unsigned threads = 2) {
    return SearchHistory(*store_, words, limit, threads);
  }
  // The ids of the matches, newest first; fails the test on an error.
  std::vector<uint64_t> Ids(std::string_view words, uint32_t limit = 50, unsigned threads = 2) {
    auto result = Search(words, limit, threads);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    std::vector<uint64_t> ids;
    if (!result.ok()) return ids;
    for (const auto& m : result->matches) ids.push_back(m.id());
    return ids;
  }

  test::TempDir tmp_;
  std::unique_ptr<store::SealedStore> store_;
  uint64_t next_id_ = 1;
};

TEST_F(HistorySearchTest, MatchesOnlyEntriesHoldingEveryWord) {
  const uint64_t both = AddText("we went to the sea at dawn");
  AddText("the sea was cold");
  AddText("we went home");
  EXPECT_EQ(Ids("sea went"), std::vector<uint64_t>{both});
  EXPECT_EQ(Ids("  went \t sea\n"), std::vector<uint64_t>{both});
  EXPECT_TRUE(Ids("sea mountain").empty());
}

TEST_F(HistorySearchTest, WordsMatchInsideLongerWords) {
  const uint64_t id = AddText("unforgettable");
  EXPECT_EQ(Ids("forget"), std::vector<uint64_t>{id});
}

TEST_F(HistorySearchTest, AsciiLettersMatchEitherCaseOtherBytesOnlyThemselves) {
  const uint64_t hello = AddText("Hello WORLD");
  const uint64_t cafe = AddText("un Caf\xc3\xa9 noir");
  AddText(
      "\xc3\x89"
      "cole");  // "École": É is not ASCII, so "école" does not match it.
  EXPECT_EQ(Ids("world hello"), std::vector<uint64_t>{hello});
  EXPECT_EQ(Ids("HeLLo"), std::vector<uint64_t>{hello});
  EXPECT_EQ(Ids("CAF\xc3\xa9"), std::vector<uint64_t>{cafe});
  EXPECT_TRUE(Ids("\xc3\xa9"
                  "cole")
                  .empty());
}

TEST_F(HistorySearchTest, OnlyTheLettersAreFolded) {
  // Long enough to be lowered eight bytes at a time, and with a short tail: the
  // neighbours of 'A' and 'Z', and "\xc3\x89" (É), whose lead byte's low bits spell 'C'.
  const uint64_t edges = AddText(
      "@[AZ\xc3\x89"
      "az@[AZ\xc3\x89");
  EXPECT_EQ(Ids("@[az\xc3\x89"
                "AZ@[aZ\xc3\x89"),
            std::vector<uint64_t>{edges});
  EXPECT_TRUE(Ids("`{").empty());
  EXPECT_TRUE(Ids("\xe3\x89").empty());
  const uint64_t mixed = AddText("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(Ids("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            std::vector<uint64_t>{mixed});
}

TEST_F(HistorySearchTest, NewestFirstWithLimitAndMore) {
  std::vector<uint64_t> matching;
  for (int i = 0; i < 10; ++i) {
    matching.push_back(AddText("lighthouse " + std::to_string(i)));
    AddText("nothing here");
  }
  auto result = Search("lighthouse", 3);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->matches.size(), 3u);
  EXPECT_EQ(result->matches[0].id(), matching[9]);
  EXPECT_EQ(result->matches[1].id(), matching[8]);
  EXPECT_EQ(result->matches[2].id(), matching[7]);
  EXPECT_EQ(result->matches[0].text(), "lighthouse 9");  // The whole entry comes back.
  EXPECT_TRUE(result->more);
  EXPECT_EQ(result->searched, 20u);

  auto all = Search("lighthouse", 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->matches.size(), 10u);
  EXPECT_FALSE(all->more);
}

TEST_F(HistorySearchTest, ThreadCountsGiveTheSameAnswer) {
  // Matches near every range boundary for 2 and 3 ranges over 100 entries.
  for (int i = 1; i <= 100; ++i) {
    const bool match =
        i % 7 == 0 || i == 1 || i == 33 || i == 34 || i == 50 || i == 51 || i == 67 || i == 100;
    AddText(match ? "Orchard in bloom" : "a quiet day");
  }
  for (uint32_t limit : {1u, 4u, 5u, 1000u}) {
    const std::vector<uint64_t> one = Ids("orchard", limit, 1);
    auto one_result = Search("orchard", limit, 1);
    ASSERT_TRUE(one_result.ok());
    for (unsigned threads : {0u, 2u, 3u, 7u, 200u}) {
      auto result = Search("orchard", limit, threads);
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      EXPECT_EQ(Ids("orchard", limit, threads), one) << "limit " << limit << ", " << threads;
      EXPECT_EQ(result->more, one_result->more);
      EXPECT_EQ(result->searched, 100u);
    }
  }
  EXPECT_EQ(Ids("orchard", 1000, 3).size(), 21u);  // 14 sevens and 7 at the boundaries.
}

TEST_F(HistorySearchTest, MoreThreadsThanEntries) {
  const uint64_t id = AddText("only one");
  EXPECT_EQ(Ids("one", 50, 16), std::vector<uint64_t>{id});
}

TEST_F(HistorySearchTest, EmptyQueryOrLimitIsRefused) {
  AddText("anything");
  EXPECT_EQ(Search("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Search(" \t\n").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Search("anything", 0).status().code(), Code::kInvalidArgument);
}

TEST_F(HistorySearchTest, EmptyHistoryHasNoMatches) {
  auto result = Search("anything");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->matches.empty());
  EXPECT_EQ(result->searched, 0u);
  EXPECT_FALSE(result->more);
}

TEST_F(HistorySearchTest, EntriesWithoutTextNeverMatch) {
  HistoryEntry withheld;
  withheld.mutable_envelope()->set_state(records::EnvelopeRecord::WITHHELD);
  withheld.mutable_envelope()->set_note("letter about the garden");
  withheld.mutable_envelope()->set_ciphertext("garden");
  Add(withheld);
  HistoryEntry nudge;
  nudge.mutable_nudge()->set_kind(1);
  Add(nudge);
  const uint64_t opened = AddText("the garden is green");
  auto result = Search("garden");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->matches.size(), 1u);
  EXPECT_EQ(result->matches[0].id(), opened);
  EXPECT_EQ(result->searched, 3u);
}

TEST_F(HistorySearchTest, TextForgottenHereNeverMatches) {
  HistoryEntry stale;  // Forgotten, with a copy of its text left behind.
  stale.set_text("secret picnic");
  stale.set_forget(HistoryEntry::FORGOTTEN_BOTH);
  Add(stale);
  HistoryEntry kept;  // The partner asked us to forget it; we kept it.
  kept.set_text("our picnic");
  kept.set_forget(HistoryEntry::KEPT);
  const uint64_t kept_id = Add(kept);
  EXPECT_EQ(Ids("picnic"), std::vector<uint64_t>{kept_id});
}

TEST_F(HistorySearchTest, AnEntryThatDoesNotParseIsCorruption) {
  AddText("fine");
  ASSERT_TRUE(store_->Put(HistoryKey(next_id_++), crypto::AsBytes("\xff\xff\xff")).ok());
  AddText("fine too");
  for (unsigned threads : {1u, 3u}) {
    EXPECT_EQ(Search("fine", 50, threads).status().code(), Code::kCorruption);
  }
}

TEST_F(HistorySearchTest, AMatchThatDoesNotParseIsCorruption) {
  // Field 5 (text) holding bytes that are not UTF-8: found by the search, refused
  // by the parser of the entry it returns.
  ASSERT_TRUE(store_->Put(HistoryKey(next_id_++), crypto::AsBytes("\x2a\x03z\xff\xfe")).ok());
  EXPECT_EQ(Search("z").status().code(), Code::kCorruption);
}

TEST_F(HistorySearchTest, ShardsTogetherCoverEveryHistoryRecordOnce) {
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(store_->Put(HistoryKey(next_id_++), crypto::AsBytes("")).ok());
  }
  ASSERT_TRUE(store_->Put("x/not-history", crypto::AsBytes("v")).ok());
  for (unsigned shards : {1u, 3u, 7u, 300u}) {
    std::multiset<std::string> seen;
    for (unsigned shard = 0; shard < shards; ++shard) {
      Status status = store_->ForEachShard("h/", shard, shards, [&](std::string_view k, auto) {
        seen.emplace(k);
        return true;
      });
      ASSERT_TRUE(status.ok()) << status.ToString();
    }
    ASSERT_EQ(seen.size(), 300u) << shards << " shards";
    for (uint64_t id = 1; id < next_id_; ++id) EXPECT_EQ(seen.count(HistoryKey(id)), 1u) << id;
  }
}

}  // namespace
}  // namespace inmost::core
