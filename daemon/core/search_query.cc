#include "daemon/core/search_query.h"

#include <algorithm>
#include <map>
#include <set>

namespace inmost::core {
namespace {

constexpr std::string_view kSpaces = " \t\n\r\f\v";

bool IsContinuationByte(char c) {
  return (static_cast<uint8_t>(c) & 0xC0) == 0x80;
}

// True when words[i] is one of an elided word's pair ("l'ecole" and "ecole", at one
// position) that a query leaves out: the whole word when the part after the
// apostrophe is a real word (so "l'éc" finds "l'école" as a prefix), else that part
// ("don't" stays whole, never "t"). Texts index both, so either finds them.
bool ElidedTwin(const std::vector<SearchWord>& words, size_t i) {
  const bool has_next = i + 1 < words.size() && words[i + 1].position == words[i].position;
  const bool has_prev = i > 0 && words[i - 1].position == words[i].position;
  if (has_next) return CharacterCount(words[i + 1].folded) > 1;
  if (has_prev) return CharacterCount(words[i].folded) <= 1;
  return false;
}

}  // namespace

size_t CharacterCount(std::string_view word) {
  return static_cast<size_t>(
      std::count_if(word.begin(), word.end(), [](char c) { return !IsContinuationByte(c); }));
}

Result<SearchQuery> ParseQuery(SearchWords& words, std::string_view text) {
  SearchQuery query;
  std::set<std::string> seen;
  std::string last_word;
  bool quoted = false;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t quote = std::min(text.find('"', at), text.size());
    std::vector<SearchWord> part = words.Split(text.substr(at, quote - at));
    for (size_t i = 0; i < part.size(); ++i) {
      if (ElidedTwin(part, i)) continue;
      last_word = part[i].folded;
      if (seen.insert(part[i].folded).second) {
        query.terms.push_back(SearchTerm{part[i].folded, false});
      }
    }
    if (quoted && part.size() > 1) {
      const uint32_t first = part.front().position;
      for (SearchWord& word : part) word.position -= first;
      query.phrases.push_back(std::move(part));
    }
    quoted = !quoted;
    at = quote + 1;
  }
  if (query.terms.empty()) {
    return InvalidArgument("give at least one word to search for (letters or digits)");
  }
  // Still being typed: the last word, outside quotes, with nothing after it.
  const bool open_end = !text.empty() && kSpaces.find(text.back()) == std::string_view::npos &&
                        text.back() != '"' && std::count(text.begin(), text.end(), '"') % 2 == 0;
  SearchTerm& last = query.terms.back();
  if (open_end && last.word == last_word && CharacterCount(last.word) > 1) last.prefix = true;
  return query;
}

bool HoldsPhrase(const std::vector<SearchWord>& text_words, const std::vector<SearchWord>& phrase) {
  if (phrase.empty()) return true;
  std::map<std::string_view, std::vector<uint32_t>> positions;
  for (const SearchWord& word : text_words) positions[word.folded].push_back(word.position);
  const auto at = [&](std::string_view word) -> const std::vector<uint32_t>* {
    auto found = positions.find(word);
    return found == positions.end() ? nullptr : &found->second;
  };
  const std::vector<uint32_t>* starts = at(phrase.front().folded);
  if (!starts) return false;
  for (uint32_t start : *starts) {
    const bool all = std::all_of(phrase.begin(), phrase.end(), [&](const SearchWord& word) {
      const std::vector<uint32_t>* found = at(word.folded);
      return found && std::binary_search(found->begin(), found->end(),
                                         start + word.position - phrase.front().position);
    });
    if (all) return true;
  }
  return false;
}

}  // namespace inmost::core
