// Message numbers (issue 20, item 1): the rules (store/message_number.h), the
// conversation giving both sides one number per message, at once and when both write
// while apart, and the schema-2 migration numbering a schema-1 store as the partner's
// own migration numbers it.
#include <gtest/gtest.h>

#include <set>

#include "daemon/core/history_keys.h"
#include "daemon/crypto/bytes.h"
#include "daemon/store/message_number.h"
#include "daemon/store/migrations.h"
#include "daemon/store/storage_key.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/temp_dir.h"

namespace inmost::test {
namespace {

using control::Message;
using store::NumberingSide;

TEST(MessageNumberRules, EachSideNumbersInItsOwnParityAboveWhatItSaw) {
  EXPECT_EQ(store::NextNumber(0, NumberingSide::kOdd), 1u);
  EXPECT_EQ(store::NextNumber(0, NumberingSide::kEven), 2u);
  EXPECT_EQ(store::NextNumber(7, NumberingSide::kOdd), 9u);
  EXPECT_EQ(store::NextNumber(7, NumberingSide::kEven), 8u);
  EXPECT_EQ(store::NumberFromSeq(3, NumberingSide::kOdd), 5u);
  EXPECT_EQ(store::NumberFromSeq(3, NumberingSide::kEven), 6u);
  auto a = crypto::KeyPair::Generate();
  auto b = crypto::KeyPair::Generate();
  // Both compute the same split from the same two keys.
  EXPECT_EQ(store::SideOf(a.public_key, b.public_key),
            store::Other(store::SideOf(b.public_key, a.public_key)));
}

// The number of every entry on `side`, by its text (or question), oldest first.
std::vector<std::pair<std::string, uint64_t>> Numbers(CoreSide& side) {
  std::vector<std::pair<std::string, uint64_t>> numbers;
  for (const Message& m : side.History()) {
    std::string what = m.kind() == Message::NUDGE ? "(nudge)" : m.text();
    numbers.emplace_back(what, side->conversation.NumberOf(m.id()));
  }
  return numbers;
}

std::map<std::string, uint64_t> ByText(CoreSide& side) {
  std::map<std::string, uint64_t> by_text;
  std::set<uint64_t> seen;
  for (const auto& [text, number] : Numbers(side)) {
    EXPECT_NE(number, 0u) << text;
    EXPECT_TRUE(seen.insert(number).second) << "number " << number << " twice on one side";
    by_text[text] = number;
  }
  return by_text;
}

class MessageNumbersTest : public CorePairTest {};

TEST_F(MessageNumbersTest, BothSidesShowOneNumberForEachMessage) {
  ASSERT_TRUE(a().Send("a one").ok());
  ASSERT_TRUE(a().Send("a two").ok());
  pair_.Settle();
  ASSERT_TRUE(b().Send("b one").ok());
  control::Request ask;
  ask.mutable_ask()->set_text("a question?");
  ASSERT_TRUE(b().Call(ask).ok());
  control::Request nudge;
  nudge.mutable_nudge();
  ASSERT_TRUE(a().Call(nudge).ok());
  pair_.Settle();
  auto on_a = ByText(a());
  auto on_b = ByText(b());
  EXPECT_EQ(on_a.size(), 5u);
  EXPECT_EQ(on_a, on_b);
  // Numbers grow with the conversation: b's reply is numbered above what it read.
  // (a's nudge and b's question crossed: either may be lower.)
  EXPECT_GT(on_a["b one"], on_a["a two"]);
  EXPECT_NE(on_a["(nudge)"], on_a["a question?"]);
  // And each side finds the entry by the number its partner would say.
  auto id = b()->conversation.IdOfNumber(on_a["a two"]);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(b().Message(*id)->text(), "a two");
  EXPECT_EQ(b()->conversation.IdOfNumber(999).status().code(), Code::kNotFound);
}

TEST_F(MessageNumbersTest, TextsWrittenOnBothSidesWhileApartKeepDistinctNumbersAfterRestarts) {
  ASSERT_TRUE(a().Send("before").ok());
  pair_.Settle();
  pair_.LinkDown();
  ASSERT_TRUE(a().Send("a alone").ok());
  ASSERT_TRUE(b().Send("b alone").ok());
  a().RunUntilIdle();
  b().RunUntilIdle();
  ASSERT_TRUE(a().Restart(/*crash=*/true).ok());
  pair_.LinkUp();
  pair_.Settle();
  auto on_a = ByText(a());
  EXPECT_EQ(on_a.size(), 3u);
  EXPECT_EQ(on_a, ByText(b()));
  EXPECT_NE(on_a["a alone"], on_a["b alone"]);
}

// Writes a schema-1 store as an earlier build did: the identity, the partner, the
// counters and history entries with seqs.
void WriteSchemaOne(const std::filesystem::path& dir, const crypto::SecretBytes& key,
                    const crypto::KeyPair& own, const crypto::KeyPair& partner,
                    const std::vector<records::HistoryEntry>& entries,
                    const records::ConversationCounters& counters) {
  auto opened = store::SealedStore::Open(dir, crypto::SecretBytes::CopyOf(key.span()),
                                         store::OpenMode::kCreate, store::Migrations({}));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store::SealedStore& db = **opened;
  ASSERT_TRUE(db.PutSecret("identity/static_private", own.private_key).ok());
  records::PartnerRecord record;
  record.set_static_key(partner.public_key.data(), partner.public_key.size());
  ASSERT_TRUE(db.Put("partner", crypto::AsBytes(record.SerializeAsString())).ok());
  ASSERT_TRUE(db.Put(core::kCountersKey, crypto::AsBytes(counters.SerializeAsString())).ok());
  for (const auto& entry : entries) {
    ASSERT_TRUE(
        db.Put(core::HistoryKey(entry.id()), crypto::AsBytes(entry.SerializeAsString())).ok());
  }
}

records::HistoryEntry Entry(uint64_t id, bool outgoing, uint64_t seq, const std::string& text) {
  records::HistoryEntry entry;
  entry.set_id(id);
  entry.set_direction(outgoing ? records::HistoryEntry::OUTGOING : records::HistoryEntry::INCOMING);
  entry.set_seq(seq);
  entry.set_text(text);
  return entry;
}

// Text -> number after the migration, with the n/ index checked against it.
std::map<std::string, uint64_t> Migrated(const std::filesystem::path& dir,
                                         const crypto::SecretBytes& key, uint64_t* last) {
  std::map<std::string, uint64_t> numbers;
  auto opened = store::SealedStore::Open(dir, crypto::SecretBytes::CopyOf(key.span()),
                                         store::OpenMode::kExisting);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (!opened.ok()) return numbers;
  store::SealedStore& db = **opened;
  EXPECT_EQ(*db.SchemaVersion(), store::kSchemaVersion);
  Status walked = db.ForEach(core::kHistoryPrefix, [&](std::string_view, std::string_view v) {
    records::HistoryEntry entry;
    EXPECT_TRUE(entry.ParseFromArray(v.data(), static_cast<int>(v.size())));
    numbers[entry.text()] = entry.number();
    auto index = db.Get(core::NumberKey(entry.number()));
    records::EntryIndex parsed;
    EXPECT_TRUE(index.ok() && parsed.ParseFromString(*index) && parsed.history_id() == entry.id())
        << entry.text();
    return true;
  });
  EXPECT_TRUE(walked.ok());
  records::ConversationCounters counters;
  EXPECT_TRUE(counters.ParseFromString(*db.Get(core::kCountersKey)));
  *last = counters.last_number();
  return numbers;
}

TEST(MessageNumbersMigration, BothSidesOfASchemaOnePairNumberTheirSharedHistoryAlike) {
  TempDir tmp;
  auto key = crypto::SecretBytes::Random(store::kStorageKeySize);
  auto alice = crypto::KeyPair::Generate();
  auto bob = crypto::KeyPair::Generate();
  // Alice sent seqs 1 and 2, bob seq 1; alice also has a notice and a scheduled text,
  // which bob never saw; bob's local ids differ from alice's.
  records::ConversationCounters alice_counters;
  alice_counters.set_next_history_id(6);
  alice_counters.set_next_out_seq(3);
  alice_counters.set_in_stored(1);
  records::HistoryEntry notice = Entry(4, false, 0, "");
  notice.set_notice("a notice");
  notice.set_text("(notice)");
  records::HistoryEntry scheduled = Entry(5, true, 0, "later");
  scheduled.set_state(records::HistoryEntry::SCHEDULED);
  WriteSchemaOne(tmp.path() / "alice", key, alice, bob,
                 {Entry(1, true, 1, "hi"), Entry(2, false, 1, "hello"), Entry(3, true, 2, "again"),
                  notice, scheduled},
                 alice_counters);
  records::ConversationCounters bob_counters;
  bob_counters.set_next_history_id(4);
  bob_counters.set_next_out_seq(2);
  bob_counters.set_in_stored(2);
  WriteSchemaOne(
      tmp.path() / "bob", key, bob, alice,
      {Entry(1, false, 1, "hi"), Entry(2, true, 1, "hello"), Entry(3, false, 2, "again")},
      bob_counters);

  uint64_t alice_last = 0;
  uint64_t bob_last = 0;
  auto on_alice = Migrated(tmp.path() / "alice", key, &alice_last);
  auto on_bob = Migrated(tmp.path() / "bob", key, &bob_last);
  for (const char* shared : {"hi", "hello", "again"}) {
    EXPECT_NE(on_alice[shared], 0u) << shared;
    EXPECT_EQ(on_alice[shared], on_bob[shared]) << shared;
  }
  std::set<uint64_t> distinct;
  for (const auto& [text, number] : on_alice) distinct.insert(number);
  EXPECT_EQ(distinct.size(), on_alice.size());
  // Alice's own entries come above every number either stream may derive.
  EXPECT_GT(on_alice["(notice)"], on_alice["again"]);
  EXPECT_GT(on_alice["later"], on_alice["(notice)"]);
  EXPECT_EQ(alice_last, on_alice["later"]);
  EXPECT_GE(bob_last, on_bob["again"]);
}

}  // namespace
}  // namespace inmost::test
