// The words of a text as search sees them: split by ICU's word rules (dictionaries for
// Chinese, Japanese, Thai...), each folded so that case and accents never matter.
// It never keeps, logs or returns text beyond the words it is asked for.
#pragma once

#include <unicode/uversion.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inmost/status.h"

// `icu` names ICU's versioned namespace, so the forward declarations go in that one.
U_NAMESPACE_BEGIN
class BreakIterator;
class Normalizer2;
class UnicodeString;
U_NAMESPACE_END

namespace inmost::core {

// A folded word and where it stands among the text's words (0, 1, 2...): two words
// are next to each other when their positions differ by one.
struct SearchWord {
  std::string folded;  // UTF-8.
  uint32_t position = 0;
};

// Not thread-safe (it holds one break iterator); cheap to use, costly to create.
class SearchWords {
 public:
  // The ICU objects it needs; Unavailable when ICU's data cannot be loaded.
  static Result<SearchWords> Create();

  SearchWords(SearchWords&&) noexcept;
  SearchWords& operator=(SearchWords&&) noexcept;
  ~SearchWords();

  // The words of `text` (UTF-8; invalid bytes read as U+FFFD), folded, in order.
  // Letters, numbers, kana and ideographs make words; spaces, punctuation, symbols
  // and emoji do not. A word longer than kMaxWordBytes folded is cut there at a
  // character boundary, so index keys stay bounded. A word with an apostrophe
  // ("l'école") also gives the part after it ("ecole") at the same position.
  std::vector<SearchWord> Split(std::string_view text);

  // `text` folded: NFKC_Casefold (full Unicode case folding: "Straße" -> "strasse",
  // final sigma -> sigma; fullwidth and ligature forms to plain ones), then NFD, then every
  // nonspacing mark (Mn) dropped but the kana voicing marks (ga is not ka), then NFC ("Café",
  // "CAFE" -> "cafe"). Turkish dotted capital I folds to "i" as well (its dot is a mark); dotless ı
  // stays ı.
  std::string Fold(std::string_view text) const;

  static constexpr size_t kMaxWordBytes = 64;

 private:
  SearchWords(std::unique_ptr<icu::BreakIterator> words, const icu::Normalizer2* nfkc_cf,
              const icu::Normalizer2* nfd, const icu::Normalizer2* nfc);
  std::string FoldUnicode(const icu::UnicodeString& text) const;

  std::unique_ptr<icu::BreakIterator> words_;
  const icu::Normalizer2* nfkc_cf_;  // The three are owned by ICU.
  const icu::Normalizer2* nfd_;
  const icu::Normalizer2* nfc_;
};

}  // namespace inmost::core
