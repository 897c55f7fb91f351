// Shared memories across a pair with no sockets (test_closeness.py end to end):
// reactions and pins on both sides, recall of this day in earlier years, and
// forgetting a message (or everything) on both sides, with consent given in
// advance or asked for, and requests that cross.
#include <gtest/gtest.h>

#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Message;

class MemoriesTest : public CorePairTest {
 protected:
  // a sends `text`, b stores it; returns its id on a and on b.
  std::pair<uint64_t, uint64_t> Exchange(const std::string& text) {
    return test::Exchange(pair_, a(), text);
  }
  Result<control::Response> React(CoreSide& side, uint64_t id, const std::string& emoji) {
    control::Request request;
    request.mutable_react()->set_id(id);
    request.mutable_react()->set_emoji(emoji);
    return side.Call(request);
  }
  Result<control::Response> Pin(CoreSide& side, uint64_t id, bool unpin = false) {
    control::Request request;
    request.mutable_pin()->set_id(id);
    request.mutable_pin()->set_unpin(unpin);
    return side.Call(request);
  }
  Result<control::Response> Forget(CoreSide& side, uint64_t id, bool keep = false) {
    control::Request request;
    request.mutable_forget()->set_id(id);
    request.mutable_forget()->set_keep(keep);
    return side.Call(request);
  }
  Message::Forget ForgetState(CoreSide& side, uint64_t id) {
    auto m = side.Message(id);
    return m ? m->forget() : Message::FORGET_NONE;
  }
};

TEST_F(MemoriesTest, ReactionsTravelBothWaysAndAreReplacedAndRemoved) {
  auto [at_a, at_b] = Exchange("a moment");
  ASSERT_TRUE(React(b(), at_b, "\xe2\x9d\xa4").ok());
  ASSERT_TRUE(React(a(), at_a, "\xf0\x9f\x98\x82").ok());
  pair_.Settle();
  EXPECT_EQ(a().Message(at_a)->their_reaction(), "\xe2\x9d\xa4");
  EXPECT_EQ(a().Message(at_a)->my_reaction(), "\xf0\x9f\x98\x82");
  EXPECT_EQ(b().Message(at_b)->their_reaction(), "\xf0\x9f\x98\x82");
  ASSERT_TRUE(React(b(), at_b, "ok").ok());
  pair_.Settle();
  EXPECT_EQ(a().Message(at_a)->their_reaction(), "ok");
  ASSERT_TRUE(React(b(), at_b, "").ok());
  pair_.Settle();
  EXPECT_EQ(a().Message(at_a)->their_reaction(), "");
  EXPECT_EQ(React(b(), at_b, "two words").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(React(b(), at_b, std::string(33, 'x')).status().code(), Code::kInvalidArgument);
}

TEST_F(MemoriesTest, AMessageStillOnItsWayCanBeReactedToButNotForgotten) {
  pair_.LinkDown();
  auto pending = a().Send("on its way");
  ASSERT_TRUE(pending.ok());
  // The stream is ordered: the reaction and the pin follow the message.
  ASSERT_TRUE(React(a(), pending->id(), "x").ok());
  ASSERT_TRUE(Pin(a(), pending->id()).ok());
  EXPECT_EQ(Forget(a(), pending->id()).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(React(a(), 4242, "x").status().code(), Code::kNotFound);
  pair_.LinkUp();
  auto at_b = Newest(b(), Message::INCOMING, Message::TEXT);
  ASSERT_TRUE(at_b.has_value());
  EXPECT_EQ(at_b->their_reaction(), "x");
  EXPECT_TRUE(at_b->pinned());
}

TEST_F(MemoriesTest, WhatNeverReachedThePartnerIsNotNamedToThem) {
  pair_.LinkDown();
  control::SendRequest later;
  later.set_text("not sent yet");
  later.set_send_at_unix_ms(pair_.clock().NowUnixMs() + 3'600'000);
  auto scheduled = a().Send(later);
  ASSERT_TRUE(scheduled.ok());
  EXPECT_EQ(React(a(), scheduled->id(), "x").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Pin(a(), scheduled->id()).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Forget(a(), scheduled->id()).status().code(), Code::kFailedPrecondition);
}

TEST_F(MemoriesTest, PinsAreSharedMemoriesOnBothSides) {
  auto [at_a, at_b] = Exchange("remember this");
  Exchange("not this");
  ASSERT_TRUE(Pin(b(), at_b).ok());
  pair_.Settle();
  control::Request memories;
  memories.mutable_memories();
  for (CoreSide* side : {&a(), &b()}) {
    auto listed = side->Call(memories);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->memories().messages_size(), 1) << side->name();
    EXPECT_EQ(listed->memories().messages(0).text(), "remember this");
  }
  EXPECT_TRUE(a().Message(at_a)->pinned());
  ASSERT_TRUE(Pin(a(), at_a, /*unpin=*/true).ok());
  pair_.Settle();
  EXPECT_FALSE(b().Message(at_b)->pinned());
  EXPECT_EQ(b().Call(memories)->memories().messages_size(), 0);
}

TEST_F(MemoriesTest, ForgettingWithConsentGivenInAdvanceDeletesOnBothSides) {
  ASSERT_TRUE(Config(b(), "honour-forget", "on").ok());
  auto [at_a, at_b] = Exchange("regrettable words");
  ASSERT_TRUE(Pin(a(), at_a).ok());
  pair_.Settle();
  auto asked = Forget(a(), at_a);
  ASSERT_TRUE(asked.ok());
  EXPECT_EQ(asked->forget().message().forget(), Message::ASKED);
  EXPECT_EQ(a().Message(at_a)->text(), "");
  pair_.Settle();
  EXPECT_EQ(ForgetState(a(), at_a), Message::FORGOTTEN_BOTH);
  EXPECT_EQ(ForgetState(b(), at_b), Message::FORGOTTEN_BOTH);
  EXPECT_TRUE(StoreLacks(a(), "regrettable"));
  EXPECT_TRUE(StoreLacks(b(), "regrettable"));
  EXPECT_FALSE(b().Message(at_b)->pinned());
  // What is forgotten takes no more reactions.
  EXPECT_EQ(React(b(), at_b, "x").status().code(), Code::kFailedPrecondition);
}

TEST_F(MemoriesTest, ForgettingWithoutConsentAsksAndThePartnerAnswers) {
  auto [kept_a, kept_b] = Exchange("keep me");
  auto [gone_a, gone_b] = Exchange("let me go");
  ASSERT_TRUE(Forget(a(), kept_a).ok());
  ASSERT_TRUE(Forget(a(), gone_a).ok());
  pair_.Settle();
  EXPECT_EQ(ForgetState(b(), kept_b), Message::PARTNER_ASKS);
  EXPECT_EQ(b().Message(kept_b)->text(), "keep me");
  EXPECT_EQ(ForgetState(a(), kept_a), Message::ASKED);

  ASSERT_TRUE(Forget(b(), kept_b, /*keep=*/true).ok());
  ASSERT_TRUE(Forget(b(), gone_b).ok());
  pair_.Settle();
  EXPECT_EQ(ForgetState(b(), kept_b), Message::KEPT);
  EXPECT_EQ(b().Message(kept_b)->text(), "keep me");
  EXPECT_EQ(ForgetState(a(), kept_a), Message::PARTNER_KEPT);
  EXPECT_EQ(ForgetState(b(), gone_b), Message::FORGOTTEN_BOTH);
  EXPECT_EQ(ForgetState(a(), gone_a), Message::FORGOTTEN_BOTH);
  EXPECT_TRUE(StoreLacks(b(), "let me go"));
  // Keeping needs a request to answer.
  EXPECT_EQ(Forget(b(), kept_b, true).status().code(), Code::kFailedPrecondition);
}

TEST_F(MemoriesTest, RequestsToForgetThatCrossAnswerEachOther) {
  auto [at_a, at_b] = Exchange("both regret it");
  ASSERT_TRUE(Forget(a(), at_a).ok());
  ASSERT_TRUE(Forget(b(), at_b).ok());
  pair_.Settle();
  EXPECT_EQ(ForgetState(a(), at_a), Message::FORGOTTEN_BOTH);
  EXPECT_EQ(ForgetState(b(), at_b), Message::FORGOTTEN_BOTH);
}

TEST_F(MemoriesTest, ForgettingEverythingAsksThePartnerWhoKeepsWithoutConsent) {
  Exchange("one");
  Exchange("two");
  control::Request all;
  all.mutable_forget()->set_all(true);
  const auto started = std::chrono::steady_clock::now();
  auto forgot = pair_.Call(a(), all);
  ASSERT_TRUE(forgot.ok()) << forgot.status().ToString();
  // It waits for the partner's acknowledgement, not for its timeout (5 s).
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  EXPECT_TRUE(forgot->forget().partner_asked());
  EXPECT_EQ(forgot->forget().forgotten(), 2u);
  pair_.Settle();
  EXPECT_TRUE(a().Texts(Message::OUTGOING) == std::vector<std::string>({"", ""}));
  EXPECT_EQ(b().Texts(Message::INCOMING), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(b()->memories.partner_asked_to_forget_all(), pair_.clock().NowUnixMs());
  // b agrees later: everything goes there too.
  auto agreed = pair_.Call(b(), all);
  ASSERT_TRUE(agreed.ok());
  EXPECT_EQ(b()->memories.partner_asked_to_forget_all(), 0);
  EXPECT_TRUE(StoreLacks(b(), "two"));
}

TEST_F(MemoriesTest, ForgettingEverythingWithConsentEmptiesBothSides) {
  ASSERT_TRUE(Config(b(), "honour-forget", "on").ok());
  Exchange("first");
  ASSERT_TRUE(b().Send("second").ok());
  pair_.Settle();
  control::Request all;
  all.mutable_forget()->set_all(true);
  ASSERT_TRUE(pair_.Call(a(), all).ok());
  pair_.Settle();
  for (CoreSide* side : {&a(), &b()}) {
    EXPECT_TRUE(StoreLacks(*side, "first")) << side->name();
    EXPECT_TRUE(StoreLacks(*side, "second")) << side->name();
  }
}

TEST(MemoriesRecallTest, RecallFindsThisDayAYearAndAMonthAgo) {
  // 2023-03-01 12:00 UTC, then a month and a year later.
  CorePair pair(CoreOptions(), 1'677'672'000'000);
  ASSERT_TRUE(pair.Open().ok());
  pair.LinkUp();
  ASSERT_TRUE(pair.a().Send("a year ago").ok());
  pair.Settle();
  pair.Advance(std::chrono::hours(24 * 337));  // 2024-02-01
  ASSERT_TRUE(pair.b().Send("a month ago").ok());
  pair.Settle();
  pair.Advance(std::chrono::hours(24 * 29));  // 2024-03-01 (a leap year)
  control::Request recall;
  recall.mutable_recall();
  auto recalled = pair.a().Call(recall);
  ASSERT_TRUE(recalled.ok()) << recalled.status().ToString();
  ASSERT_EQ(recalled->recall().days_size(), 2);
  EXPECT_EQ(recalled->recall().days(0).date(), "2024-02-01");
  EXPECT_EQ(recalled->recall().days(0).messages(0).text(), "a month ago");
  EXPECT_EQ(recalled->recall().days(1).date(), "2023-03-01");
  EXPECT_EQ(recalled->recall().days(1).messages(0).text(), "a year ago");
  recall.mutable_recall()->set_date("2024-13-01");
  EXPECT_EQ(pair.a().Call(recall).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace inmost::test
