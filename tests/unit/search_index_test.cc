// SearchIndex and ParseQuery over a real sealed store and real ICU: what a query
// finds, in which order and pages, and that removing entries leaves no trace of their
// words. DISABLED_Measure100k prints the figures docs cite (run it by name).
#include "daemon/core/search_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/search_query.h"
#include "daemon/core/search_words.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "tests/unit/temp_dir.h"

namespace inmost::core {
namespace {

using Ids = std::vector<uint64_t>;

class SearchIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto words = SearchWords::Create();
    ASSERT_TRUE(words.ok()) << words.status().ToString();
    words_.emplace(std::move(words).value());
    OpenStore(store::OpenMode::kCreate);
  }

  void OpenStore(store::OpenMode mode) {
    index_.reset();
    store_.reset();
    auto opened = store::SealedStore::Open(tmp_.path() / "store",
                                           crypto::SecretBytes::CopyOf(key_.span()), mode);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    auto index = SearchIndex::Open(*store_);
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    index_.emplace(std::move(index).value());
  }

  // Indexes each of `texts` under the next ids, in one batch; returns the first id.
  uint64_t AddAll(const std::vector<std::string>& texts) {
    SearchIndex::Changes changes;
    const uint64_t first = next_id_;
    for (const std::string& text : texts) {
      changes.Add(next_id_, words_->Split(text));
      texts_[next_id_++] = text;
    }
    Write(changes);
    return first;
  }
  uint64_t Add(const std::string& text) { return AddAll(std::vector<std::string>{text}); }

  void Remove(const std::vector<uint64_t>& ids) {
    SearchIndex::Changes changes;
    for (uint64_t id : ids) {
      changes.Remove(id, words_->Split(texts_.at(id)));
      texts_.erase(id);
    }
    Write(changes);
  }

  void Write(const SearchIndex::Changes& changes) {
    store::SealedStore::WriteBatch batch(*store_);
    ASSERT_TRUE(index_->Stage(changes, batch).ok());
    ASSERT_TRUE(store_->Write(batch, store::Durability::kLazy).ok());
  }

  // The ids found for `query`, checking its phrases against the kept texts, as the
  // history's search does against the entries.
  Result<IndexMatches> Find(std::string_view text, uint32_t limit = 50, uint64_t before = 0) {
    auto query = ParseQuery(*words_, text);
    if (!query.ok()) return query.status();
    return index_->Find(*query, limit, before, [&](uint64_t id) -> Result<bool> {
      auto found = texts_.find(id);
      if (found == texts_.end()) return false;
      const std::vector<SearchWord> text_words = words_->Split(found->second);
      return std::all_of(query->phrases.begin(), query->phrases.end(),
                         [&](const auto& phrase) { return HoldsPhrase(text_words, phrase); });
    });
  }
  Ids Found(std::string_view text, uint32_t limit = 50, uint64_t before = 0) {
    auto found = Find(text, limit, before);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? found->ids : Ids{};
  }

  // The keys of the index's records other than its hash key.
  std::vector<std::string> IndexRecords() {
    std::vector<std::string> keys;
    EXPECT_TRUE(store_
                    ->ForEachRecord([&](std::string_view key, std::string_view) {
                      if (key.starts_with(kSearchIndexPrefix) && key != "sx/key") {
                        keys.emplace_back(key);
                      }
                      return true;
                    })
                    .ok());
    return keys;
  }

  test::TempDir tmp_;
  crypto::SecretBytes key_ = crypto::SecretBytes::Random(store::kStorageKeySize);
  std::unique_ptr<store::SealedStore> store_;
  std::optional<SearchIndex> index_;
  std::optional<SearchWords> words_;
  std::map<uint64_t, std::string> texts_;
  uint64_t next_id_ = 1;
};

TEST_F(SearchIndexTest, FindsWordsWhateverTheirCaseAndAccents) {
  const uint64_t cafe = Add("Un CAFÉ crème, s'il te plaît");
  const uint64_t strasse = Add("Wir treffen uns in der Straße");
  Add("nothing to see here");
  EXPECT_EQ(Found("cafe "), Ids{cafe});
  EXPECT_EQ(Found("Café creme "), Ids{cafe});
  EXPECT_EQ(Found("STRASSE "), Ids{strasse});
  EXPECT_EQ(Found("plait cafe crème"), Ids{cafe});
  EXPECT_TRUE(Found("cafe strasse ").empty());
  EXPECT_TRUE(Found("caf ").empty());  // A whole word, not a prefix: ends in a space.
}

TEST_F(SearchIndexTest, TheLastWordIsAPrefixWhileTyped) {
  const uint64_t cafe = Add("café au lait");
  const uint64_t cafeteria = Add("the cafeteria is closed");
  Add("a cab");
  EXPECT_EQ(Found("caf"), (Ids{cafeteria, cafe}));
  EXPECT_EQ(Found("closed caf"), Ids{cafeteria});
  EXPECT_EQ(Found("cafet"), Ids{cafeteria});
  EXPECT_EQ(Found("ca"), (Ids{cafe + 2, cafeteria, cafe}));
  EXPECT_TRUE(Found("c").empty());  // One character: only the word "c" itself.
}

TEST_F(SearchIndexTest, PhrasesNeedTheirWordsTogether) {
  const uint64_t together = Add("we went to the sea at dawn");
  Add("at the sea, we waited for dawn");
  EXPECT_EQ(Found("\"sea at dawn\""), Ids{together});
  EXPECT_EQ(Found("\"SEA AT\" we"), Ids{together});
  EXPECT_EQ(Found("sea dawn ").size(), 2u);
  EXPECT_TRUE(Found("\"dawn sea\"").empty());
}

TEST_F(SearchIndexTest, ChineseAndJapaneseWords) {
  const uint64_t beijing = Add("我们明天去北京");
  const uint64_t tokyo = Add("東京に行きました");
  EXPECT_EQ(Found("北京 "), Ids{beijing});
  EXPECT_EQ(Found("東京 "), Ids{tokyo});
}

TEST_F(SearchIndexTest, NewestFirstAndPagedAcrossBuckets) {
  // Three buckets' worth, written in batches as group commit would.
  std::vector<std::string> texts;
  Ids expected;
  for (uint64_t id = 1; id <= 3 * kBucketIds + 17; ++id) {
    texts.push_back(id % 7 == 0 ? "ping pong" : "ping");
    if (id % 7 == 0) expected.push_back(id);
    if (texts.size() == 500) {
      AddAll(texts);
      texts.clear();
    }
  }
  AddAll(texts);
  std::reverse(expected.begin(), expected.end());
  Ids paged;
  uint64_t before = 0;
  for (;;) {
    auto page = Find("pong ping ", 50, before);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    paged.insert(paged.end(), page->ids.begin(), page->ids.end());
    if (!page->more) break;
    ASSERT_EQ(page->ids.size(), 50u);
    before = page->ids.back();
  }
  EXPECT_EQ(paged, expected);
  EXPECT_EQ(Found("ping", 3), (Ids{next_id_ - 1, next_id_ - 2, next_id_ - 3}));
}

TEST_F(SearchIndexTest, RemovedEntriesLeaveNoTrace) {
  const uint64_t first = AddAll({"secret rendezvous at noon", "rendezvous moved"});
  Add("unrelated words");
  Remove({first});
  EXPECT_EQ(Found("rendezvous "), Ids{first + 1});
  EXPECT_TRUE(Found("secret ").empty());
  EXPECT_TRUE(Found("secr").empty());  // Gone from the word list too.
  Remove({first + 1, first + 2});
  EXPECT_TRUE(Found("rendezvous ").empty());
  EXPECT_EQ(IndexRecords(), std::vector<std::string>{});
}

TEST_F(SearchIndexTest, AddAndRemoveInOneBatchCancel) {
  SearchIndex::Changes changes;
  changes.Add(1, words_->Split("fleeting"));
  changes.Remove(1, words_->Split("fleeting"));
  Write(changes);
  EXPECT_EQ(IndexRecords(), std::vector<std::string>{});
}

TEST_F(SearchIndexTest, IndexKeysHoldNoWords) {
  Add("zanzibar");
  for (const std::string& key : IndexRecords()) {
    EXPECT_EQ(key.find("zanzibar"), std::string::npos) << key;
    EXPECT_EQ(key.find("za"), std::string::npos) << key;
  }
  EXPECT_EQ(IndexRecords().size(), 3u);  // Directory, posting list, word list.
}

TEST_F(SearchIndexTest, TheIndexOutlivesAReopen) {
  const uint64_t id = Add("persistence pays");
  OpenStore(store::OpenMode::kExisting);
  EXPECT_EQ(Found("persistence "), Ids{id});
  EXPECT_EQ(Found("pa"), Ids{id});
}

// Random adds and removes over several buckets, some batches dropped unwritten (as a
// failed write drops them): the index answers as a plain scan of the texts would, so
// what Stage() remembers between batches never goes stale.
TEST_F(SearchIndexTest, AgreesWithAScanThroughAddsRemovesAndDroppedBatches) {
  const std::vector<std::string> vocabulary = {"red", "green", "blue", "gold", "grey"};
  std::mt19937_64 random(11);
  const auto draw = [&](size_t n) { return static_cast<size_t>(random() % n); };
  for (int round = 0; round < 60; ++round) {
    SearchIndex::Changes changes;
    std::map<uint64_t, std::string> added;
    std::vector<uint64_t> removed;
    for (int n = 0; n < 40; ++n) {
      next_id_ += 1 + draw(60);  // Ids skip, as entries without text do.
      added[next_id_] = vocabulary[draw(5)] + " " + vocabulary[draw(5)];
      changes.Add(next_id_, words_->Split(added[next_id_]));
    }
    for (int n = 0; n < 15 && !texts_.empty(); ++n) {
      auto it = std::next(texts_.begin(), static_cast<long>(draw(texts_.size())));
      if (std::find(removed.begin(), removed.end(), it->first) != removed.end()) continue;
      changes.Remove(it->first, words_->Split(it->second));
      removed.push_back(it->first);
    }
    if (round % 7 == 3) {  // Staged, then its write fails.
      store::SealedStore::WriteBatch dropped(*store_);
      ASSERT_TRUE(index_->Stage(changes, dropped).ok());
      index_->Forget();
      continue;
    }
    Write(changes);
    for (auto& [id, text] : added) texts_[id] = text;
    for (uint64_t id : removed) texts_.erase(id);
  }
  for (const std::string& word : vocabulary) {
    Ids expected;
    for (auto it = texts_.rbegin(); it != texts_.rend(); ++it) {
      if (it->second.find(word) != std::string::npos) expected.push_back(it->first);
    }
    Ids paged;
    uint64_t before = 0;
    auto query = ParseQuery(*words_, word + " ");
    ASSERT_TRUE(query.ok());
    for (;;) {
      // Every id the index holds, unchecked: a stale one must show.
      auto page = index_->Find(*query, 200, before, [](uint64_t) -> Result<bool> { return true; });
      ASSERT_TRUE(page.ok());
      paged.insert(paged.end(), page->ids.begin(), page->ids.end());
      if (!page->more) break;
      before = page->ids.back();
    }
    EXPECT_EQ(paged, expected) << word;
  }
  EXPECT_GT(next_id_, 3 * kBucketIds);
}

TEST(SearchQueryTest, WordsPrefixesAndPhrases) {
  auto words = SearchWords::Create();
  ASSERT_TRUE(words.ok());
  auto query = ParseQuery(*words, "Café \"au LAIT\" cr");
  ASSERT_TRUE(query.ok());
  ASSERT_EQ(query->terms.size(), 4u);
  EXPECT_EQ(query->terms[0].word, "cafe");
  EXPECT_FALSE(query->terms[0].prefix);
  EXPECT_EQ(query->terms[3].word, "cr");
  EXPECT_TRUE(query->terms[3].prefix);
  ASSERT_EQ(query->phrases.size(), 1u);
  EXPECT_EQ(query->phrases[0].size(), 2u);
  EXPECT_EQ(query->phrases[0][1].position, 1u);
  EXPECT_FALSE(ParseQuery(*words, "done ")->terms.back().prefix);
  EXPECT_FALSE(ParseQuery(*words, "\"done\"")->terms.back().prefix);
  EXPECT_FALSE(ParseQuery(*words, "x")->terms.back().prefix);
  // An elided word is searched by the word after the apostrophe.
  auto elided = ParseQuery(*words, "l'éc");
  ASSERT_TRUE(elided.ok());
  ASSERT_EQ(elided->terms.size(), 1u);
  EXPECT_EQ(elided->terms[0].word, "ec");
  EXPECT_TRUE(elided->terms[0].prefix);
  EXPECT_EQ(ParseQuery(*words, "don't ")->terms[0].word, "don't");
  EXPECT_EQ(ParseQuery(*words, "  !!! 😀 ").status().code(), Code::kInvalidArgument);
}

// The figures behind the choice of kBucketIds: index size and write cost per message,
// and query times over 100,000 entries of a Zipf-like vocabulary.
TEST_F(SearchIndexTest, DISABLED_Measure100k) {
  constexpr uint64_t kEntries = 100'000;
  constexpr int kVocabulary = 20'000;
  constexpr int kWordsPerText = 12;
  std::mt19937_64 random(7);
  std::vector<double> weights;
  for (int i = 1; i <= kVocabulary; ++i) weights.push_back(1.0 / i);
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  // Words of 3 to 9 letters, spelled at random once per rank, so that their first two
  // letters spread as a language's do.
  std::vector<std::string> vocabulary;
  std::uniform_int_distribution<int> letter('a', 'z');
  std::uniform_int_distribution<int> length(3, 9);
  for (int i = 0; i < kVocabulary; ++i) {
    std::string& spelled = vocabulary.emplace_back();
    for (int n = length(random); n > 0; --n) spelled.push_back(static_cast<char>(letter(random)));
  }
  const auto word = [&](int rank) { return vocabulary[static_cast<size_t>(rank)]; };
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  double staging_ms = 0;
  std::string text;
  // Entries per write: 1 as for one message at a time, more as group commit gathers.
  const char* batch_env = std::getenv("INMOST_MEASURE_BATCH");
  const uint64_t per_batch = batch_env ? std::max(1, std::atoi(batch_env)) : 1;
  for (uint64_t id = 1; id <= kEntries; id += per_batch) {
    SearchIndex::Changes changes;
    for (uint64_t n = id; n < id + per_batch && n <= kEntries; ++n) {
      text.clear();
      for (int w = 0; w < kWordsPerText; ++w) text += word(pick(random)) + " ";
      changes.Add(n, words_->Split(text));
      texts_[n] = text;
    }
    store::SealedStore::WriteBatch batch(*store_);
    const auto staged = Clock::now();
    ASSERT_TRUE(index_->Stage(changes, batch).ok());
    staging_ms += std::chrono::duration<double, std::milli>(Clock::now() - staged).count();
    ASSERT_TRUE(store_->Write(batch, store::Durability::kLazy).ok());
  }
  next_id_ = kEntries + 1;
  const double total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  uint64_t records = 0, bytes = 0;
  ASSERT_TRUE(store_
                  ->ForEachRecord([&](std::string_view key, std::string_view value) {
                    if (key.starts_with(kSearchIndexPrefix)) {
                      ++records;
                      bytes += value.size() + 17 + 24 + 16;  // Hashed key, nonce, tag.
                    }
                    return true;
                  })
                  .ok());
  std::printf("batches of %llu entries\n", static_cast<unsigned long long>(per_batch));
  std::printf("bucket %llu ids: %llu entries indexed in %.0f ms (%.1f us each, staging %.1f us)\n",
              static_cast<unsigned long long>(kBucketIds),
              static_cast<unsigned long long>(kEntries), total_ms, total_ms * 1000 / kEntries,
              staging_ms * 1000 / kEntries);
  std::printf("index: %llu records, %.1f bytes per entry (values + hashed key, nonce, tag)\n",
              static_cast<unsigned long long>(records), static_cast<double>(bytes) / kEntries);
  const std::vector<std::string> queries = {
      word(0) + " ",                          // The most frequent word.
      word(0) + " " + word(1) + " ",          // Two frequent ones.
      word(5000) + " ",                       // A rare one.
      word(3) + " " + word(400) + " ",        // Frequent and less so.
      word(19999) + " " + word(0) + " ",      // Rarest and most frequent.
      word(7).substr(0, 2),                   // Prefixes of two and three letters.
      word(1234).substr(0, 3),                //
      "\"" + word(0) + " " + word(1) + "\"",  // A phrase.
      "zzzzzzzzzzzz "};                       // Absent.
  for (const std::string& query : queries) {
    std::vector<double> times;
    size_t found = 0;
    for (int run = 0; run < 7; ++run) {
      const auto began = Clock::now();
      auto result = Find(query, 50);
      times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - began).count());
      ASSERT_TRUE(result.ok());
      found = result->ids.size();
    }
    std::sort(times.begin(), times.end());
    std::printf("query %-22s %2zu found: median %.2f ms (min %.2f, max %.2f)\n", query.c_str(),
                found, times[3], times[0], times[6]);
  }
}

}  // namespace
}  // namespace inmost::core
