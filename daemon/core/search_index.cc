#include "daemon/core/search_index.h"

#include <sodium.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/wipe.h"
#include "daemon/store/record_key.h"

namespace inmost::core {
namespace {

constexpr std::string_view kDirectoryPrefix = "sx/d/";
constexpr std::string_view kPostingPrefix = "sx/p/";
constexpr std::string_view kWordListPrefix = "sx/w/";
constexpr size_t kHashKeySize = crypto_generichash_KEYBYTES;
constexpr size_t kWordHashSize = 16;
// Characters of a word that name its word list: a query's prefix needs at least these.
constexpr size_t kListedPrefixChars = 2;
constexpr int kVarintBits = 7;
constexpr uint8_t kVarintMore = 0x80;

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= kVarintMore) {
    out.push_back(static_cast<char>((value & 0x7f) | kVarintMore));
    value >>= kVarintBits;
  }
  out.push_back(static_cast<char>(value));
}

bool ReadVarint(std::string_view& in, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += kVarintBits) {
    const auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & kVarintMore) == 0) return true;
  }
  return false;
}

// An ascending list of numbers as deltas.
std::string EncodeList(const std::vector<uint64_t>& list) {
  std::string out;
  uint64_t previous = 0;
  for (uint64_t value : list) {
    AppendVarint(out, value - previous);
    previous = value;
  }
  return out;
}

std::optional<std::vector<uint64_t>> DecodeList(std::string_view in) {
  std::vector<uint64_t> list;
  uint64_t previous = 0;
  while (!in.empty()) {
    uint64_t delta = 0;
    if (!ReadVarint(in, delta)) return std::nullopt;
    previous += delta;
    list.push_back(previous);
  }
  return list;
}

std::string EncodeWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    AppendVarint(out, word.size());
    out.append(word);
  }
  return out;
}

// The first kListedPrefixChars characters of UTF-8 `word` (all of a shorter one).
std::string_view ListedPrefix(std::string_view word) {
  size_t chars = 0;
  for (size_t i = 0; i < word.size(); ++i) {
    if ((static_cast<uint8_t>(word[i]) & 0xC0) != 0x80 && chars++ == kListedPrefixChars) {
      return word.substr(0, i);
    }
  }
  return word;
}

std::string BucketKey(std::string_view hash, uint64_t bucket) {
  std::string key(kPostingPrefix);
  key.append(hash);
  store::AppendUint64(key, bucket);
  return key;
}

// `sorted` with `added` and without `removed`.
void Merge(std::vector<uint64_t>& sorted, const std::set<uint64_t>& added,
           const std::set<uint64_t>& removed) {
  std::vector<uint64_t> merged;
  merged.reserve(sorted.size() + added.size());
  std::set_union(sorted.begin(), sorted.end(), added.begin(), added.end(),
                 std::back_inserter(merged));
  std::erase_if(merged, [&](uint64_t id) { return removed.contains(id); });
  sorted = std::move(merged);
}

// `read`, or nothing when the record is damaged (counted in `damaged`): a write must
// not fail for one damaged index record. It is replaced by what the write stages,
// and only its word's older matches are lost from the index until a rebuild.
template <typename T>
Result<T> UnlessDamaged(Result<T> read, uint64_t& damaged) {
  if (read.ok()) return read;
  const Code code = read.status().code();
  if (code != Code::kCorruption && code != Code::kAuthenticationFailed) return read;
  ++damaged;
  return T();
}

}  // namespace

void SearchIndex::Changes::Add(uint64_t id, const std::vector<SearchWord>& words) {
  for (const SearchWord& word : words) {
    WordChange& change = words_[word.folded];
    change.removed.erase(id);
    change.added.insert(id);
  }
}

void SearchIndex::Changes::Remove(uint64_t id, const std::vector<SearchWord>& words) {
  for (const SearchWord& word : words) {
    WordChange& change = words_[word.folded];
    change.added.erase(id);
    change.removed.insert(id);
  }
}

Result<SearchIndex> SearchIndex::Open(store::SealedStore& store) {
  Result<crypto::SecretBytes> key = store.GetSecret(kSearchIndexKey);
  if (key.ok() && key->size() == kHashKeySize) {
    return SearchIndex(store, std::move(key).value());
  }
  if (key.ok()) return Corruption("the search index's key has the wrong size: rebuild the index");
  if (key.status().code() != Code::kNotFound) return key.status();
  crypto::SecretBytes fresh = crypto::SecretBytes::Random(kHashKeySize);
  if (Status put = store.PutSecret(kSearchIndexKey, fresh); !put.ok()) return put;
  return SearchIndex(store, std::move(fresh));
}

std::string SearchIndex::Hash(std::string_view text) const {
  std::string hash(kWordHashSize, '\0');
  crypto_generichash(reinterpret_cast<uint8_t*>(hash.data()), hash.size(),
                     reinterpret_cast<const uint8_t*>(text.data()), text.size(), key_.data(),
                     key_.size());
  return hash;
}

Result<std::vector<uint64_t>> SearchIndex::ReadList(const std::string& key) const {
  Result<std::string> value = store_->Get(key);
  if (!value.ok()) {
    if (value.status().code() == Code::kNotFound) return std::vector<uint64_t>();
    return value.status();
  }
  std::optional<std::vector<uint64_t>> list = DecodeList(*value);
  if (!list) {
    return Corruption("search index record '" + store::PrintableKey(key) +
                      "' is damaged: rebuild the index");
  }
  return std::move(*list);
}

Result<std::vector<std::string>> SearchIndex::ReadWords(const std::string& key) const {
  Result<std::string> value = store_->Get(key);
  std::vector<std::string> words;
  if (!value.ok()) {
    if (value.status().code() == Code::kNotFound) return words;
    return value.status();
  }
  std::string_view in = *value;
  while (!in.empty()) {
    uint64_t size = 0;
    if (!ReadVarint(in, size) || size > in.size()) {
      crypto::WipeString(*value);
      return Corruption("search index record '" + store::PrintableKey(key) +
                        "' is damaged: rebuild the index");
    }
    words.emplace_back(in.substr(0, size));
    in.remove_prefix(size);
  }
  crypto::WipeString(*value);
  return words;
}

Status SearchIndex::Stage(const Changes& changes, store::SealedStore::WriteBatch& batch,
                          std::vector<std::string>* removed_from) {
  // Words that appear in the index (first) or leave it (second), by word list.
  std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> lists;
  // The cache must describe what is stored: a Stage() that fails midway drops it.
  struct ForgetUnlessDone {
    SearchIndex& index;
    bool done = false;
    ~ForgetUnlessDone() {
      if (!done) index.Forget();
    }
  } guard{*this};
  for (const auto& [word, change] : changes.words_) {
    const std::string hash = Hash(word);
    const std::string directory_key = std::string(kDirectoryPrefix).append(hash);
    std::optional<CachedWord> cached = TakeCached(hash);
    std::vector<uint64_t> directory;
    if (cached) {
      directory = cached->directory;
    } else {
      Result<std::vector<uint64_t>> read = UnlessDamaged(ReadList(directory_key), damaged_);
      if (!read.ok()) return read.status();
      directory = std::move(read).value();
    }
    const bool was_indexed = !directory.empty();
    std::map<uint64_t, std::pair<std::set<uint64_t>, std::set<uint64_t>>> buckets;
    for (uint64_t id : change.added) buckets[id / kBucketIds].first.insert(id);
    for (uint64_t id : change.removed) buckets[id / kBucketIds].second.insert(id);
    std::vector<uint64_t> bucket_numbers = directory;
    CachedWord remembered;  // Its bucket stays kNoBucket unless a posting list is written.
    for (const auto& [bucket, ids] : buckets) {
      const bool listed_bucket = std::binary_search(directory.begin(), directory.end(), bucket);
      if (!listed_bucket && ids.first.empty()) continue;  // Nothing to remove.
      const std::string key = BucketKey(hash, bucket);
      std::vector<uint64_t> posting;
      if (listed_bucket && cached && cached->bucket == bucket) {
        posting = DecodeList(cached->posting).value_or(std::vector<uint64_t>());
      } else if (listed_bucket) {
        Result<std::vector<uint64_t>> read = UnlessDamaged(ReadList(key), damaged_);
        if (!read.ok()) return read.status();
        posting = std::move(read).value();
      }
      Merge(posting, ids.first, ids.second);
      if (removed_from && !ids.second.empty()) removed_from->push_back(key);
      remembered.bucket = bucket;
      remembered.posting.clear();
      if (posting.empty()) {
        batch.Delete(key);
        std::erase(bucket_numbers, bucket);
      } else {
        remembered.posting = EncodeList(posting);
        batch.Put(key, crypto::AsBytes(remembered.posting));
        if (!listed_bucket) {
          bucket_numbers.insert(
              std::upper_bound(bucket_numbers.begin(), bucket_numbers.end(), bucket), bucket);
        }
      }
    }
    if (removed_from && !change.removed.empty()) removed_from->push_back(directory_key);
    if (bucket_numbers != directory) {
      if (bucket_numbers.empty()) {
        batch.Delete(directory_key);
      } else {
        batch.Put(directory_key, crypto::AsBytes(EncodeList(bucket_numbers)));
      }
    }
    const bool indexed = !bucket_numbers.empty();
    if (indexed != was_indexed) {
      auto& list = lists[std::string(ListedPrefix(word))];
      (indexed ? list.first : list.second).insert(word);
    }
    // Remember the newest bucket written (a removal from an old one keeps the cached one).
    if (cached && cached->bucket != kNoBucket &&
        (remembered.bucket == kNoBucket || remembered.bucket < cached->bucket)) {
      remembered.bucket = cached->bucket;
      remembered.posting = std::move(cached->posting);
    }
    remembered.directory = std::move(bucket_numbers);
    Remember(hash, std::move(remembered));
  }
  for (const auto& [prefix, words] : lists) {
    const std::string key = std::string(kWordListPrefix).append(Hash(prefix));
    Result<std::vector<std::string>> read = UnlessDamaged(ReadWords(key), damaged_);
    if (!read.ok()) return read.status();
    std::vector<std::string> merged;
    std::set_union(read->begin(), read->end(), words.first.begin(), words.first.end(),
                   std::back_inserter(merged));
    std::erase_if(merged, [&](const std::string& word) { return words.second.contains(word); });
    if (removed_from && !words.second.empty()) removed_from->push_back(key);
    if (merged.empty()) {
      batch.Delete(key);
    } else {
      std::string value = EncodeWords(merged);
      batch.Put(key, crypto::AsBytes(value));
      crypto::WipeString(value);
    }
  }
  guard.done = true;
  return Status::Ok();
}

std::optional<SearchIndex::CachedWord> SearchIndex::TakeCached(const std::string& hash) {
  for (auto* generation : {&recent_, &older_}) {
    if (auto found = generation->find(hash); found != generation->end()) {
      CachedWord word = std::move(found->second);
      generation->erase(found);
      return word;
    }
  }
  return std::nullopt;
}

void SearchIndex::Remember(const std::string& hash, CachedWord word) {
  // Two generations: a word used again moves to the recent one, and when that is full
  // the older one, holding the words unused since, is dropped whole.
  if (recent_.size() >= kCachedWords / 2) {
    older_ = std::move(recent_);
    recent_.clear();
  }
  recent_.insert_or_assign(hash, std::move(word));
}

Result<std::vector<std::string>> SearchIndex::Expand(const SearchTerm& term) const {
  if (!term.prefix) return std::vector<std::string>{term.word};
  Result<std::vector<std::string>> listed =
      ReadWords(std::string(kWordListPrefix).append(Hash(ListedPrefix(term.word))));
  if (!listed.ok()) return listed.status();
  std::erase_if(*listed, [&](const std::string& word) { return !word.starts_with(term.word); });
  return listed;
}

Result<IndexMatches> SearchIndex::Find(
    const SearchQuery& query, uint32_t limit, uint64_t before_id,
    const std::function<Result<bool>(uint64_t id)>& accept) const {
  IndexMatches found;
  if (query.terms.empty() || limit == 0) return found;
  // Per term: the hashes of the words it stands for and each one's buckets.
  struct Alternative {
    std::string hash;
    std::vector<uint64_t> buckets;
  };
  std::vector<std::vector<Alternative>> terms;
  std::vector<uint64_t> shared;  // Buckets that every term has, ascending.
  for (const SearchTerm& term : query.terms) {
    Result<std::vector<std::string>> words = Expand(term);
    if (!words.ok()) return words.status();
    std::vector<Alternative>& alternatives = terms.emplace_back();
    std::vector<uint64_t> any;
    for (const std::string& word : *words) {
      Alternative alternative{Hash(word), {}};
      Result<std::vector<uint64_t>> buckets =
          ReadList(std::string(kDirectoryPrefix).append(alternative.hash));
      if (!buckets.ok()) return buckets.status();
      if (buckets->empty()) continue;
      alternative.buckets = std::move(buckets).value();
      std::vector<uint64_t> joined;
      std::set_union(any.begin(), any.end(), alternative.buckets.begin(), alternative.buckets.end(),
                     std::back_inserter(joined));
      any = std::move(joined);
      alternatives.push_back(std::move(alternative));
    }
    if (terms.size() == 1) {
      shared = std::move(any);
    } else {
      std::vector<uint64_t> both;
      std::set_intersection(shared.begin(), shared.end(), any.begin(), any.end(),
                            std::back_inserter(both));
      shared = std::move(both);
    }
    if (shared.empty()) return found;
  }
  const uint64_t bound = before_id == 0 ? UINT64_MAX : before_id;
  for (auto bucket = shared.rbegin(); bucket != shared.rend(); ++bucket) {
    if (*bucket * kBucketIds >= bound) continue;
    std::vector<uint64_t> ids;  // Those holding every term so far, ascending.
    for (size_t t = 0; t < terms.size(); ++t) {
      std::vector<uint64_t> term_ids;
      for (const Alternative& alternative : terms[t]) {
        if (!std::binary_search(alternative.buckets.begin(), alternative.buckets.end(), *bucket)) {
          continue;
        }
        Result<std::vector<uint64_t>> posting = ReadList(BucketKey(alternative.hash, *bucket));
        if (!posting.ok()) return posting.status();
        std::vector<uint64_t> joined;
        std::set_union(term_ids.begin(), term_ids.end(), posting->begin(), posting->end(),
                       std::back_inserter(joined));
        term_ids = std::move(joined);
      }
      if (t == 0) {
        ids = std::move(term_ids);
      } else {
        std::vector<uint64_t> both;
        std::set_intersection(ids.begin(), ids.end(), term_ids.begin(), term_ids.end(),
                              std::back_inserter(both));
        ids = std::move(both);
      }
      if (ids.empty()) break;
    }
    for (auto id = ids.rbegin(); id != ids.rend(); ++id) {
      if (*id >= bound) continue;
      ++found.candidates;
      Result<bool> taken = accept(*id);
      if (!taken.ok()) return taken.status();
      if (!*taken) continue;
      if (found.ids.size() == limit) {
        found.more = true;
        return found;
      }
      found.ids.push_back(*id);
    }
  }
  return found;
}

}  // namespace inmost::core
