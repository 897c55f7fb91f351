// A search through the index (history_index.h): the index offers the entries that
// hold every word, newest first; each is then read and its text checked, so an entry
// changed since, or a phrase whose words are apart, is never shown.
#include <algorithm>
#include <map>

#include "daemon/core/history_index.h"
#include "daemon/core/history_keys.h"
#include "daemon/crypto/wipe.h"
#include "daemon/store/record_key.h"

namespace inmost::core {
namespace {

// True when `words` (a text's Split) hold every term of `query` and its phrases.
bool HoldsQuery(const std::vector<SearchWord>& words, const SearchQuery& query) {
  const bool terms = std::all_of(query.terms.begin(), query.terms.end(), [&](const SearchTerm& t) {
    return std::any_of(words.begin(), words.end(), [&](const SearchWord& word) {
      return t.prefix ? word.folded.starts_with(t.word) : word.folded == t.word;
    });
  });
  return terms && std::all_of(query.phrases.begin(), query.phrases.end(),
                              [&](const auto& phrase) { return HoldsPhrase(words, phrase); });
}

}  // namespace

Result<IndexedSearch> HistoryIndex::Find(std::string_view query, uint32_t limit,
                                         uint64_t before_id) const {
  if (limit == 0) return InvalidArgument("a search must allow at least one result");
  // One query at a time: the words' break iterator is not thread-safe, and a second
  // search at once would only share the same disk.
  std::lock_guard lock(query_mu_);
  Result<SearchQuery> parsed = ParseQuery(query_words_, query);
  if (!parsed.ok()) return parsed.status();
  std::map<uint64_t, records::HistoryEntry> kept;
  Result<IndexMatches> found =
      index_.Find(*parsed, limit, before_id, [&](uint64_t id) -> Result<bool> {
        Result<std::string> value = store_.Get(HistoryKey(id));
        if (!value.ok()) {
          if (value.status().code() == Code::kNotFound) return false;
          return value.status();
        }
        records::HistoryEntry entry;
        const bool entry_parsed = entry.ParseFromString(*value);
        crypto::WipeString(*value);
        if (!entry_parsed) {
          return Corruption("history entry '" + store::PrintableKey(HistoryKey(id)) +
                            "' does not parse: the store is damaged");
        }
        const std::string_view text = SearchedText(entry);
        if (text.empty() || !HoldsQuery(query_words_.Split(text), *parsed)) return false;
        // One more than the limit may be taken: Find() then says there are more.
        if (kept.size() <= limit) kept.emplace(id, std::move(entry));
        return true;
      });
  if (!found.ok()) return found.status();
  IndexedSearch result;
  result.looked_at = found->candidates;
  result.more = found->more;
  for (uint64_t id : found->ids) result.matches.push_back(std::move(kept[id]));
  return result;
}

}  // namespace inmost::core
