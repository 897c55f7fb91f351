#include "daemon/codec/core/question_of_the_day.h"

#include <gtest/gtest.h>

#include <set>

namespace inmost::core {
namespace {

TEST(QuestionSet, HasMoreQuestionsThanDaysInAYear) {
  const auto& questions = QuestionSet();
  ASSERT_GT(questions.size(), 366u);
  std::set<std::string> unique(questions.begin(), questions.end());
  EXPECT_EQ(unique.size(), questions.size());
  for (const auto& q : questions) {
    EXPECT_LE(q.size(), 200u) << q;
    EXPECT_EQ(q.back(), '?') << q;
  }
}

TEST(UtcDate, ParsesAndFormats) {
  EXPECT_EQ(*ParseUtcDate("1970-01-01"), 0);
  EXPECT_EQ(*ParseUtcDate("2027-02-14"), 20863);
  EXPECT_EQ(FormatUtcDate(20863), "2027-02-14");
  EXPECT_EQ(*ParseUtcDate("2028-02-29"), *ParseUtcDate("2028-02-28") + 1);
  for (auto bad : {"2027-02-30", "2027-13-01", "2027-2-14", "", "tomorrow", "2027-02-14x"}) {
    EXPECT_EQ(ParseUtcDate(bad).status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(UtcDay(0), 0);
  EXPECT_EQ(UtcDay(86'399'999), 0);
  EXPECT_EQ(UtcDay(86'400'000), 1);
}

TEST(QuestionOfTheDay, BothPartnersDeriveTheSameQuestion) {
  crypto::KeyPair a = crypto::KeyPair::Generate();
  crypto::KeyPair b = crypto::KeyPair::Generate();
  auto from_a = QuestionOfTheDay::ForPair(a, b.public_key);
  auto from_b = QuestionOfTheDay::ForPair(b, a.public_key);
  ASSERT_TRUE(from_a.ok() && from_b.ok());
  for (int64_t day = 20000; day < 20010; ++day) {
    EXPECT_EQ(from_a->Question(day), from_b->Question(day));
    EXPECT_EQ(from_a->QuestionId(day), from_b->QuestionId(day));
    EXPECT_EQ(from_a->QuestionId(day).size(), 16u);
  }
  EXPECT_NE(from_a->QuestionId(20000), from_a->QuestionId(20001));
}

TEST(QuestionOfTheDay, NeverRepeatsWithinAYear) {
  crypto::KeyPair a = crypto::KeyPair::Generate();
  crypto::KeyPair b = crypto::KeyPair::Generate();
  auto daily = QuestionOfTheDay::ForPair(a, b.public_key);
  ASSERT_TRUE(daily.ok());
  // Any window of 366 consecutive days, wherever it starts (a wrap of the order
  // included), holds 366 different questions.
  for (int64_t start : {int64_t{0}, int64_t{20000}, int64_t{20300}}) {
    std::set<std::string> seen;
    for (int64_t day = start; day < start + 366; ++day) seen.insert(daily->Question(day));
    EXPECT_EQ(seen.size(), 366u);
  }
}

TEST(QuestionOfTheDay, AnotherPairWalksAnotherOrder) {
  crypto::KeyPair a = crypto::KeyPair::Generate();
  auto one = QuestionOfTheDay::ForPair(a, crypto::KeyPair::Generate().public_key);
  auto two = QuestionOfTheDay::ForPair(a, crypto::KeyPair::Generate().public_key);
  ASSERT_TRUE(one.ok() && two.ok());
  int same = 0;
  for (int64_t day = 20000; day < 20030; ++day) same += one->Question(day) == two->Question(day);
  EXPECT_LT(same, 5);
}

}  // namespace
}  // namespace inmost::core
