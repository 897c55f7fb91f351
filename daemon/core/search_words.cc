#include "daemon/core/search_words.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <utility>

namespace inmost::core {
namespace {

// The kana voicing marks: nonspacing, yet they make another syllable (が is not か).
constexpr UChar32 kKanaVoicedMark = 0x3099;
constexpr UChar32 kKanaSemiVoicedMark = 0x309A;

bool IsWordStatus(int32_t status) {
  // Statuses below UBRK_WORD_NONE_LIMIT are spaces, punctuation, symbols and emoji.
  return status >= UBRK_WORD_NONE_LIMIT;
}

bool IsDroppedMark(UChar32 c) {
  return u_charType(c) == U_NON_SPACING_MARK && c != kKanaVoicedMark && c != kKanaSemiVoicedMark;
}

// `word` cut to at most `max` bytes without splitting a UTF-8 sequence.
void CutUtf8(std::string& word, size_t max) {
  if (word.size() <= max) return;
  size_t end = max;
  while (end > 0 && (static_cast<uint8_t>(word[end]) & 0xC0) == 0x80) --end;
  word.resize(end);
}

// ICU keeps "l'école" and "don't" whole. Elided French or Italian words must still be
// found by the word after the apostrophe, so that part is a word too, at the same
// position; empty when there is no such part.
std::string AfterElision(std::string_view word) {
  constexpr std::string_view kApostrophes[] = {"'", "\xe2\x80\x99"};  // ' and U+2019.
  size_t after = std::string_view::npos;
  for (std::string_view apostrophe : kApostrophes) {
    const size_t at = word.rfind(apostrophe);
    if (at != std::string_view::npos &&
        (after == std::string_view::npos || at + apostrophe.size() > after)) {
      after = at + apostrophe.size();
    }
  }
  if (after == std::string_view::npos || after >= word.size()) return std::string();
  return std::string(word.substr(after));
}

}  // namespace

Result<SearchWords> SearchWords::Create() {
  UErrorCode error = U_ZERO_ERROR;
  // The root locale's rules: a message may be in any language, or several.
  std::unique_ptr<icu::BreakIterator> words(
      icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), error));
  if (U_FAILURE(error) || !words) {
    return Unavailable(std::string("cannot load ICU's word rules (") + u_errorName(error) +
                       "): is libicu's data installed?");
  }
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(error);
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(error);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(error);
  if (U_FAILURE(error) || !nfkc_cf || !nfd || !nfc) {
    return Unavailable(std::string("cannot load ICU's normalization data (") + u_errorName(error) +
                       ")");
  }
  return SearchWords(std::move(words), nfkc_cf, nfd, nfc);
}

SearchWords::SearchWords(std::unique_ptr<icu::BreakIterator> words, const icu::Normalizer2* nfkc_cf,
                         const icu::Normalizer2* nfd, const icu::Normalizer2* nfc)
    : words_(std::move(words)), nfkc_cf_(nfkc_cf), nfd_(nfd), nfc_(nfc) {}

SearchWords::SearchWords(SearchWords&&) noexcept = default;
SearchWords& SearchWords::operator=(SearchWords&&) noexcept = default;
SearchWords::~SearchWords() = default;

std::vector<SearchWord> SearchWords::Split(std::string_view text) {
  std::vector<SearchWord> out;
  const icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  words_->setText(unicode);
  uint32_t position = 0;
  int32_t start = words_->first();
  for (int32_t end = words_->next(); end != icu::BreakIterator::DONE;
       start = end, end = words_->next()) {
    if (!IsWordStatus(words_->getRuleStatus())) continue;
    std::string folded = FoldUnicode(unicode.tempSubStringBetween(start, end));
    if (folded.empty()) continue;  // Only marks, say: nothing to find it by.
    CutUtf8(folded, kMaxWordBytes);
    std::string after = AfterElision(folded);
    out.push_back(SearchWord{std::move(folded), position});
    if (!after.empty()) out.push_back(SearchWord{std::move(after), position});
    ++position;
  }
  // The iterator keeps an alias of the text; it must not outlive `unicode`.
  words_->setText(icu::UnicodeString());
  return out;
}

std::string SearchWords::Fold(std::string_view text) const {
  return FoldUnicode(icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size()))));
}

std::string SearchWords::FoldUnicode(const icu::UnicodeString& text) const {
  UErrorCode error = U_ZERO_ERROR;
  // NFKC_Casefold: full case folding, compatibility forms (fullwidth letters,
  // ligatures) to their plain ones, default-ignorable characters removed.
  const icu::UnicodeString folded = nfkc_cf_->normalize(text, error);
  const icu::UnicodeString decomposed = nfd_->normalize(folded, error);
  if (U_FAILURE(error)) return std::string();  // Only for a failed allocation.
  icu::UnicodeString bare;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    if (!IsDroppedMark(c)) bare.append(c);
    i += U16_LENGTH(c);
  }
  const icu::UnicodeString composed = nfc_->normalize(bare, error);
  if (U_FAILURE(error)) return std::string();
  std::string out;
  composed.toUTF8String(out);
  return out;
}

}  // namespace inmost::core
