// SearchWords with real ICU: how texts in several languages split into words and how
// each word folds, so that a search finds a word whatever its case or accents.
#include "daemon/core/search_words.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inmost::core {
namespace {

class SearchWordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = SearchWords::Create();
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    words_.emplace(std::move(created).value());
  }

  std::vector<std::string> Folded(std::string_view text) {
    std::vector<std::string> out;
    for (SearchWord& word : words_->Split(text)) out.push_back(std::move(word.folded));
    return out;
  }
  std::string Fold(std::string_view text) { return words_->Fold(text); }

  std::optional<SearchWords> words_;
};

using Words = std::vector<std::string>;

TEST_F(SearchWordsTest, FrenchAccentsAndCaseFoldAway) {
  EXPECT_EQ(Fold("Café"), "cafe");
  EXPECT_EQ(Fold("CAFE"), "cafe");
  EXPECT_EQ(Fold("café"), "cafe");
  // "é" written as e + combining acute folds the same as the precomposed letter.
  EXPECT_EQ(Fold("cafe\xcc\x81"), "cafe");
  EXPECT_EQ(Folded("L'École NORMALE, à Noël : ça coûte 12,50 €!"),
            (Words{"l'ecole", "ecole", "normale", "a", "noel", "ca", "coute", "12,50"}));
  const std::vector<SearchWord> elided = words_->Split("j’aime l'été");
  ASSERT_EQ(elided.size(), 4u);
  EXPECT_EQ(elided[1].folded, "aime");
  EXPECT_EQ(elided[1].position, 0u);
  EXPECT_EQ(elided[3].folded, "ete");
  EXPECT_EQ(elided[3].position, 1u);
}

TEST_F(SearchWordsTest, GermanSharpSFoldsToSs) {
  EXPECT_EQ(Fold("Straße"), "strasse");
  EXPECT_EQ(Fold("STRASSE"), "strasse");
  EXPECT_EQ(Fold("ẞ"), "ss");  // The capital sharp s.
  EXPECT_EQ(Folded("Grüße aus der Straße"), (Words{"grusse", "aus", "der", "strasse"}));
}

TEST_F(SearchWordsTest, TurkishIsFoldWithoutTheirLocale) {
  // Default (not Turkish) folding: İ is i plus a dot above, a mark that is dropped,
  // so "İstanbul", "ISTANBUL" and "istanbul" meet. The dotless ı stays its own
  // letter, so "ılık" is not "ilik".
  EXPECT_EQ(Fold("İstanbul"), "istanbul");
  EXPECT_EQ(Fold("ISTANBUL"), "istanbul");
  EXPECT_EQ(Fold("ılık"), "ılık");
  EXPECT_NE(Fold("ılık"), Fold("ilik"));
}

TEST_F(SearchWordsTest, GreekFinalSigmaAndTonosFold) {
  EXPECT_EQ(Fold("ΟΔΥΣΣΕΥΣ"), Fold("Οδυσσεύς"));
  EXPECT_EQ(Fold("Οδυσσεύς"), "οδυσσευσ");
  EXPECT_EQ(Folded("Καλημέρα, κόσμε!"), (Words{"καλημερα", "κοσμε"}));
}

TEST_F(SearchWordsTest, CyrillicFolds) {
  EXPECT_EQ(Folded("Привет, МИР"), (Words{"привет", "мир"}));
}

TEST_F(SearchWordsTest, ChineseAndJapaneseSplitByDictionary) {
  // No spaces: ICU's dictionaries find the words.
  const Words chinese = Folded("我们明天去北京");
  EXPECT_GE(chinese.size(), 3u);
  EXPECT_NE(std::find(chinese.begin(), chinese.end(), "北京"), chinese.end());
  const Words japanese = Folded("東京に行きました");
  EXPECT_GE(japanese.size(), 3u);
  EXPECT_NE(std::find(japanese.begin(), japanese.end(), "東京"), japanese.end());
  // Kana voicing marks make other syllables: が is not か.
  EXPECT_EQ(Fold("が"), "が");
  EXPECT_NE(Fold("が"), Fold("か"));
  // Halfwidth katakana and fullwidth Latin fold to their ordinary forms.
  EXPECT_EQ(Fold("ｶﾞｽ"), "ガス");
  EXPECT_EQ(Fold("ＲＯＭＡ"), "roma");
}

TEST_F(SearchWordsTest, EmojiPunctuationAndSpacesAreNoWords) {
  EXPECT_EQ(Folded("I ❤️ you 😀😀 !!! 👍🏽 — ok…"), (Words{"i", "you", "ok"}));
  EXPECT_TRUE(Folded("😀 🎉 ... \t\n").empty());
  EXPECT_TRUE(Folded("").empty());
}

TEST_F(SearchWordsTest, PositionsCountWordsOnly) {
  const std::vector<SearchWord> words = words_->Split("the  sea, at dawn!");
  ASSERT_EQ(words.size(), 4u);
  for (uint32_t i = 0; i < words.size(); ++i) EXPECT_EQ(words[i].position, i);
  EXPECT_EQ(words[3].folded, "dawn");
}

TEST_F(SearchWordsTest, LongWordsAreCutAtACharacterBoundary) {
  std::string long_word;
  for (int i = 0; i < 40; ++i) long_word += "é";  // Two bytes each, folds to one.
  EXPECT_EQ(Folded(long_word), Words{std::string(40, 'e')});
  std::string greek;
  for (int i = 0; i < 40; ++i) greek += "λ";  // Two bytes each: 80 > 64.
  const Words cut = Folded(greek);
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].size(), SearchWords::kMaxWordBytes);
  EXPECT_EQ(cut[0], greek.substr(0, SearchWords::kMaxWordBytes));
}

TEST_F(SearchWordsTest, InvalidUtf8NeverBreaksSplitting) {
  EXPECT_EQ(Folded("caf\xc3 ok \xff\xfe bon"), (Words{"caf", "ok", "bon"}));
}

}  // namespace
}  // namespace inmost::core
