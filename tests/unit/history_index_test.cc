// The word index kept in step with the history (core/history_index.h) across a pair
// with no sockets: Unicode folding, prefixes, phrases and pages through the Search
// request; words that leave the index with an edit or a forget (read from the index's
// own records, not only through the search that re-checks each text); and a rebuild
// that is interrupted by a crash and goes on after it. End to end: test_search.py.
#include "daemon/core/history_index.h"

#include <gtest/gtest.h>

#include "daemon/core/search_index.h"
#include "daemon/core/search_query.h"
#include "daemon/core/search_words.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

class HistoryIndexTest : public CorePairTest {
 protected:
  control::SearchReply Search(CoreSide& side, const std::string& words, uint32_t limit = 50,
                              uint64_t before_id = 0) {
    control::Request request;
    request.mutable_search()->set_words(words);
    request.mutable_search()->set_limit(limit);
    request.mutable_search()->set_before_id(before_id);
    auto found = side.Call(request);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? found->search() : control::SearchReply();
  }
  std::vector<std::string> Texts(CoreSide& side, const std::string& words) {
    std::vector<std::string> texts;
    const control::SearchReply reply = Search(side, words);
    for (const auto& m : reply.messages()) texts.push_back(m.text());
    return texts;
  }
  // The ids the index's own records give for `word`, none of them checked against
  // the history: what the index still holds.
  std::vector<uint64_t> IndexedIds(CoreSide& side, const std::string& word) {
    auto index = core::SearchIndex::Open(side.store());
    auto words = core::SearchWords::Create();
    EXPECT_TRUE(index.ok() && words.ok());
    if (!index.ok() || !words.ok()) return {};
    auto query = core::ParseQuery(*words, word + " ");
    EXPECT_TRUE(query.ok());
    auto found = index->Find(*query, 100000, 0, [](uint64_t) -> Result<bool> { return true; });
    EXPECT_TRUE(found.ok());
    return found.ok() ? found->ids : std::vector<uint64_t>{};
  }
  bool IndexComplete(CoreSide& side) { return side->index && side->index->complete(); }
};

TEST_F(HistoryIndexTest, WordsMatchWhateverTheirCaseAndAccents) {
  ASSERT_TRUE(a().Send("Un café à la Straße, ΣΟΦΊΑ").ok());
  ASSERT_TRUE(a().Send("the cafeteria").ok());
  pair_.Settle();
  for (CoreSide* side : {&a(), &b()}) {
    control::SearchReply reply = Search(*side, "CAFE ");
    EXPECT_TRUE(reply.indexed());
    ASSERT_EQ(reply.messages_size(), 1);
    EXPECT_EQ(reply.messages(0).text(), "Un café à la Straße, ΣΟΦΊΑ");
    EXPECT_EQ(Texts(*side, "STRASSE σοφια").size(), 1u);
    EXPECT_EQ(Texts(*side, "cafe").size(), 2u);  // The last word is a prefix.
  }
}

TEST_F(HistoryIndexTest, APhraseMustStandTogetherInOrder) {
  ASSERT_TRUE(a().Send("good night, moon").ok());
  ASSERT_TRUE(a().Send("night was good").ok());
  pair_.Settle();
  EXPECT_EQ(Texts(b(), "good night").size(), 2u);
  EXPECT_EQ(Texts(b(), "\"good night\""), std::vector<std::string>{"good night, moon"});
  EXPECT_TRUE(Texts(b(), "\"night good\"").empty());
}

TEST_F(HistoryIndexTest, PagesGoOlderWithBeforeId) {
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(a().Send("lantern " + std::to_string(i)).ok());
  pair_.Settle();
  control::SearchReply first = Search(b(), "lantern ", 2);
  ASSERT_EQ(first.messages_size(), 2);
  EXPECT_TRUE(first.more());
  EXPECT_EQ(first.messages(0).text(), "lantern 5");
  control::SearchReply second = Search(b(), "lantern ", 2, first.messages(1).id());
  ASSERT_EQ(second.messages_size(), 2);
  EXPECT_EQ(second.messages(0).text(), "lantern 3");
  control::SearchReply last = Search(b(), "lantern ", 2, second.messages(1).id());
  ASSERT_EQ(last.messages_size(), 1);
  EXPECT_FALSE(last.more());
}

TEST_F(HistoryIndexTest, AnEditedOrForgottenTextLeavesTheIndex) {
  auto kept = a().Send("the harbour at noon");
  auto forgotten = a().Send("the harbour at dusk");
  ASSERT_TRUE(kept.ok() && forgotten.ok());
  pair_.Settle();
  ASSERT_EQ(IndexedIds(a(), "harbour").size(), 2u);

  control::Request edit;
  edit.mutable_edit()->set_id(kept->id());
  edit.mutable_edit()->set_text("the lighthouse at noon");
  ASSERT_TRUE(pair_.Call(a(), edit).ok());
  control::Request forget;
  forget.mutable_forget()->set_id(forgotten->id());
  ASSERT_TRUE(pair_.Call(a(), forget).ok());
  pair_.Settle();

  EXPECT_TRUE(IndexedIds(a(), "harbour").empty());
  EXPECT_TRUE(IndexedIds(a(), "dusk").empty());
  EXPECT_EQ(IndexedIds(a(), "lighthouse"), std::vector<uint64_t>{kept->id()});
  EXPECT_EQ(Texts(a(), "lighthouse"), std::vector<std::string>{"the lighthouse at noon"});
  EXPECT_TRUE(Texts(a(), "harbour").empty());
}

TEST_F(HistoryIndexTest, ARebuildCutShortByACrashGoesOnAfterIt) {
  // More than one chunk of entries, so the crash can fall between two.
  constexpr int kMessages = 2500;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(a().Send(i % 100 == 0 ? "meadow " + std::to_string(i) : "hello").ok());
  }
  ASSERT_TRUE(a().Send("to forget: meadow").ok());
  pair_.Settle();  // A message is forgotten once the partner has it.
  ASSERT_TRUE(IndexComplete(a()));

  control::Request rebuild;
  rebuild.mutable_rebuild_search_index();
  auto started = a().Call(rebuild);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->rebuild_search_index().messages(), a().History().back().id());
  EXPECT_FALSE(IndexComplete(a()));
  EXPECT_EQ(a().Call(rebuild).status().code(), Code::kFailedPrecondition);
  // Meanwhile the whole history is read.
  control::SearchReply meanwhile = Search(a(), "meadow");
  EXPECT_FALSE(meanwhile.indexed());
  EXPECT_EQ(meanwhile.messages_size(), kMessages / 100 + 1);
  // The search ran the loop while it read, so the rebuild went on, maybe to its end:
  // let it end, and step through a second one with nothing else running.
  ASSERT_TRUE(a().RunUntil([&] { return IndexComplete(a()); }));
  ASSERT_TRUE(a().Call(rebuild).ok());

  // Run until the old index is gone and the first chunk is in, then crash.
  ASSERT_TRUE(a().RunUntil([&] { return IndexedIds(a(), "hello").empty(); }));
  ASSERT_TRUE(a().RunUntil([&] { return !IndexedIds(a(), "hello").empty(); }));
  // The crash falls between two chunks: the rebuild's record says where.
  EXPECT_TRUE(a().store().Get("sx/rebuild").ok());
  EXPECT_EQ(IndexedIds(a(), "hello").size(), size_t{2048 - 2048 / 100 - 1});
  a().Crash();
  ASSERT_TRUE(a().Open().ok());  // Which runs until idle: the rebuild goes on and ends.
  control::Request forget;
  forget.mutable_forget()->set_id(a().History().back().id());
  auto forgotten = a().Call(forget);
  ASSERT_TRUE(forgotten.ok()) << forgotten.status().ToString();
  ASSERT_TRUE(a().RunUntil([&] { return IndexComplete(a()); }));

  control::SearchReply after = Search(a(), "meadow");
  EXPECT_TRUE(after.indexed());
  EXPECT_EQ(after.messages_size(), kMessages / 100);
  EXPECT_EQ(IndexedIds(a(), "meadow").size(), static_cast<size_t>(kMessages / 100));
  EXPECT_EQ(IndexedIds(a(), "hello").size(), static_cast<size_t>(kMessages - kMessages / 100));
}

}  // namespace
}  // namespace inmost::test
