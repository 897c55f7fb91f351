// What a user's search asks for: words that must all be there, the last one perhaps a
// prefix still being typed, and "quoted phrases" whose words must stand together.
// It only reads the query; it never touches the store.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/search_words.h"
#include "inmost/status.h"

namespace inmost::core {

struct SearchTerm {
  std::string word;     // Folded.
  bool prefix = false;  // Any word starting with `word` matches.
};

struct SearchQuery {
  std::vector<SearchTerm> terms;  // Every one must match.
  // Runs of words that must also be adjacent, in order (positions relative).
  std::vector<std::vector<SearchWord>> phrases;
};

// The query in `text`: its words (split and folded as texts are) AND'ed; text between
// double quotes is also a phrase; the last word is a prefix unless the text ends in a
// space or a quote, or the word is a single character. A query without a word is
// InvalidArgument.
Result<SearchQuery> ParseQuery(SearchWords& words, std::string_view text);

// True when `text_words` (a text's Split) holds `phrase` as adjacent words.
bool HoldsPhrase(const std::vector<SearchWord>& text_words, const std::vector<SearchWord>& phrase);

// The number of characters (code points) in UTF-8 `word`.
size_t CharacterCount(std::string_view word);

}  // namespace inmost::core
