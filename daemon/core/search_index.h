// The inverted index of the history's words, kept sealed in the store beside the
// entries, so that a search reads a few records per word instead of opening every
// message. It never puts a word where a record's key (shown in errors) could hold it.
//
// Layout. Under hidden keys (key_layout.h) a prefix scan reads a key's whole class, so
// every index read is a point lookup of a record whose key it can compute:
//   sx/key                 32 random bytes: the key of W() below (made once).
//   sx/d/ W(word)          the word's directory: the buckets that hold it.
//   sx/p/ W(word) bucket   a posting list: the ids of the bucket's entries holding the
//                          word, ascending, delta-varint (bucket = id / kBucketIds).
//   sx/w/ W(2 characters)  the words starting with those characters (prefix search).
// W(x) is a keyed BLAKE2b-128 of x, so a key shows no word even in an error message;
// the store hides the keys from LevelDB anyway. What the index reveals to someone
// with the files but not the key: the number of index records and their sizes, so
// roughly how many distinct words and how often they occur, never which.
//
// Costs. Adding an entry rewrites the newest posting list of each of its words, and a
// directory or word list only when a bucket or a word is new; Stage() remembers the
// records of recently changed words, so mostly only rare words cost reads. A query
// reads the directories of its words, then the posting lists of the buckets they
// share, newest first, and stops at its limit. Phrases are checked on the texts.
// Measured (tests/unit/search_index_test.cc, DISABLED_Measure100k: 100,000 entries of
// 12 words from a 20,000-word Zipf vocabulary, one entry per batch, loaded 2-core VM):
//   bucket ids   records/entry   bytes/entry (*)      Stage() per entry   queries
//   256          5.5             343                  122 us              0.1-1.8 ms
//   1024         4.0             250                  123 us              0.1-1.8 ms
//   4096         2.5             163                  130 us              0.1-1.6 ms
// (*) values plus 57 bytes a record of hashed key, nonce and tag; the copy of the key
// sealed with each value adds about 31 more, before LevelDB's compression.
// So 4096: the fewest records (each costs the store about 90 bytes of hash, nonce, tag
// and sealed key whatever its value), queries as fast; the price is the rewrite of a
// common word's posting list (up to 4096 ids, about 1.3 bytes each) per batch.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/core/search_query.h"
#include "daemon/core/search_words.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"

namespace inmost::core {

inline constexpr std::string_view kSearchIndexPrefix = "sx/";
// The key of W() below; a rebuild keeps it.
inline constexpr std::string_view kSearchIndexKey = "sx/key";
// Ids per posting list; see the measurements above.
inline constexpr uint64_t kBucketIds = 4096;

// What a search found in the index.
struct IndexMatches {
  std::vector<uint64_t> ids;  // Newest first, at most the limit.
  bool more = false;          // More entries matched, older than the last id.
  uint64_t candidates = 0;    // Entries the index gave, before `accept`.
};

// Thread-safe for Find(); Stage() reads the records it rewrites and remembers what it
// wrote, so one batch at a time must be staged and written (the conversation's one
// writer), and a batch whose write failed must be followed by Forget().
class SearchIndex {
 public:
  // The changes one write batch makes to the index: entries added and removed.
  class Changes {
   public:
    // Entry `id` now holds `words` (its text's Split).
    void Add(uint64_t id, const std::vector<SearchWord>& words);
    // Entry `id`, which held `words`, holds them no more (its text was forgotten,
    // retracted or has disappeared).
    void Remove(uint64_t id, const std::vector<SearchWord>& words);
    bool empty() const { return words_.empty(); }

   private:
    friend class SearchIndex;
    struct WordChange {
      std::set<uint64_t> added;
      std::set<uint64_t> removed;
    };
    std::map<std::string, WordChange> words_;
  };

  // The index of `store`, which must outlive it; makes the key of W() on first use.
  static Result<SearchIndex> Open(store::SealedStore& store);

  // Adds to `batch` the puts and deletes that make the index hold `changes`.
  // The newest posting list and the directory of recently changed words are kept in
  // memory (at most kCachedWords), so a message's common words cost no read.
  // `removed_from` (if given) gets the keys of the records a removal rewrites or
  // deletes: compacted once written, no old copy of them stays in the files.
  Status Stage(const Changes& changes, store::SealedStore::WriteBatch& batch,
               std::vector<std::string>* removed_from = nullptr);
  // How many damaged index records Stage() has read (and replaced) since the last call.
  uint64_t TakeDamaged() { return std::exchange(damaged_, 0); }
  // Drops what Stage() remembers: its batch was not written. (A Stage() that fails
  // forgets by itself.)
  void Forget() {
    recent_.clear();
    older_.clear();
  }

  // The newest entries older than `before_id` (0: no bound) that hold every term of
  // `query` and that `accept` takes (it checks phrases, and that the entry still has
  // its text), at most `limit`. An error from `accept` ends the search with it.
  Result<IndexMatches> Find(const SearchQuery& query, uint32_t limit, uint64_t before_id,
                            const std::function<Result<bool>(uint64_t id)>& accept) const;

 private:
  SearchIndex(store::SealedStore& store, crypto::SecretBytes key)
      : store_(&store), key_(std::move(key)) {}

  // What Stage() last wrote for a word, by W(word): its directory and its newest
  // posting list, as stored.
  static constexpr uint64_t kNoBucket = UINT64_MAX;
  struct CachedWord {
    std::vector<uint64_t> directory;
    uint64_t bucket = kNoBucket;  // Whose posting list is known: none when kNoBucket.
    std::string posting;          // Encoded; empty when `bucket` holds none of its entries.
  };
  static constexpr size_t kCachedWords = 4096;

  std::string Hash(std::string_view text) const;  // W() above.
  // The cached records of the word whose W() is `hash`, taken out of the cache.
  std::optional<CachedWord> TakeCached(const std::string& hash);
  void Remember(const std::string& hash, CachedWord word);
  Result<std::vector<uint64_t>> ReadList(const std::string& key) const;
  Result<std::vector<std::string>> ReadWords(const std::string& key) const;
  // The words `term` stands for: itself, or for a prefix those of the word list.
  Result<std::vector<std::string>> Expand(const SearchTerm& term) const;

  store::SealedStore* store_;
  crypto::SecretBytes key_;
  // The cache: words Stage() changed lately, and before that.
  std::unordered_map<std::string, CachedWord> recent_;
  std::unordered_map<std::string, CachedWord> older_;
  uint64_t damaged_ = 0;  // Read by Stage(), which replaced them.
};

}  // namespace inmost::core
