// Nudges across a pair with no sockets (test_closeness.py end to end): live ones
// arrive at once, offline ones wait coalesced; the receiver's budget holds on both
// sides to the millisecond; two nudges one each way within the same-moment window
// (and not a millisecond more) make a moment on both sides.
#include <gtest/gtest.h>

#include <map>

#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Message;
using control::Nudge;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

Result<control::NudgeReply> SendNudge(CoreSide& side, Nudge::Kind kind = Nudge::HUG) {
  control::Request request;
  request.mutable_nudge()->set_kind(kind);
  auto sent = side.Call(request);
  if (!sent.ok()) return sent.status();
  return sent->nudge();
}

class NudgesTest : public CorePairTest {
 protected:
  std::vector<Message> Nudges(CoreSide& side, Message::Direction direction = Message::INCOMING) {
    return All(side, direction, Message::NUDGE);
  }
  size_t Moments(CoreSide& side) {
    size_t n = 0;
    for (const auto& m : side.History()) n += m.kind() == Message::MOMENT ? 1 : 0;
    return n;
  }
  // b accepts `budget` nudges an hour, and a has been told.
  void SetBudget(uint32_t budget) {
    ASSERT_TRUE(Config(b(), "nudge-budget", std::to_string(budget)).ok());
    pair_.Settle();
    ASSERT_EQ(a()->boundaries.partner_nudge_budget(), budget);
  }
};

TEST_F(NudgesTest, ALiveNudgeArrivesAtOnceAsANudge) {
  b().TakeEvents();
  auto sent = SendNudge(a(), Nudge::KISS);
  ASSERT_TRUE(sent.ok());
  EXPECT_FALSE(sent->queued());
  pair_.Settle();
  auto received = Nudges(b());
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].nudge().kind(), Nudge::KISS);
  EXPECT_EQ(received[0].nudge().count(), 1u);
  EXPECT_EQ(received[0].text(), "");
  bool announced = false;
  for (const auto& e : b().TakeEvents()) {
    announced = announced || (e.has_message_received() &&
                              e.message_received().message().kind() == Message::NUDGE);
  }
  EXPECT_TRUE(announced);
  EXPECT_EQ(a().Message(sent->id())->state(), Message::DELIVERED);
}

TEST_F(NudgesTest, OfflineNudgesWaitAndArriveCoalescedByKind) {
  pair_.LinkDown();
  uint64_t hug_id = 0;
  for (uint32_t i = 1; i <= 3; ++i) {
    auto sent = SendNudge(a(), Nudge::HUG);
    ASSERT_TRUE(sent.ok());
    EXPECT_TRUE(sent->queued());
    EXPECT_EQ(sent->count(), i);
    if (i == 1) hug_id = sent->id();
    EXPECT_EQ(sent->id(), hug_id);  // One entry that counts up.
  }
  ASSERT_TRUE(SendNudge(a(), Nudge::GOODNIGHT).ok());
  ASSERT_TRUE(a().Restart().ok());  // The queue is durable.
  pair_.LinkUp();
  auto received = Nudges(b());
  ASSERT_EQ(received.size(), 2u);
  // One per kind, in no particular order.
  std::map<int, uint32_t> counts;
  for (const auto& n : received) counts[n.nudge().kind()] = n.nudge().count();
  EXPECT_EQ(counts, (std::map<int, uint32_t>{{Nudge::HUG, 3}, {Nudge::GOODNIGHT, 1}}));
  // Queued nudges are too late for a same moment.
  ASSERT_TRUE(SendNudge(b()).ok());
  pair_.Settle();
  EXPECT_EQ(Moments(a()), 0u);
  EXPECT_EQ(Moments(b()), 0u);
}

TEST_F(NudgesTest, TheReceiversBudgetHoldsOnTheSenderToTheMillisecond) {
  SetBudget(2);
  ASSERT_TRUE(SendNudge(a()).ok());
  pair_.Settle();
  pair_.Advance(minutes(10));
  ASSERT_TRUE(SendNudge(a()).ok());
  pair_.Settle();
  auto refused = SendNudge(a());
  EXPECT_EQ(refused.status().code(), Code::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("at most 2 nudges an hour"), std::string::npos);
  EXPECT_NE(refused.status().message().find("in 50 min"), std::string::npos)
      << refused.status().message();
  // The first one counts for exactly an hour, its last millisecond included.
  pair_.Advance(minutes(50));
  EXPECT_EQ(SendNudge(a()).status().code(), Code::kResourceExhausted);
  pair_.Advance(milliseconds(1));
  ASSERT_TRUE(SendNudge(a()).ok());
  pair_.Settle();
  // Sender and receiver count alike: none of the three was beyond b's budget.
  auto received = Nudges(b());
  ASSERT_EQ(received.size(), 3u);
  for (const auto& n : received) EXPECT_FALSE(n.nudge().over_budget());

  SetBudget(0);
  EXPECT_EQ(SendNudge(a()).status().code(), Code::kFailedPrecondition);
}

TEST_F(NudgesTest, TheReceiverKeepsNudgesBeyondItsBudgetUnannounced) {
  // b lowers its budget; a does not hear of it (the announcement is lost).
  ASSERT_TRUE(Config(b(), "nudge-budget", "2").ok());
  b().RunUntilIdle();
  b().channel().Take();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(SendNudge(a()).ok());
  b().TakeEvents();
  pair_.Settle();
  auto received = Nudges(b());
  ASSERT_EQ(received.size(), 4u);
  EXPECT_FALSE(received[1].nudge().over_budget());
  EXPECT_TRUE(received[2].nudge().over_budget());
  EXPECT_TRUE(received[3].nudge().over_budget());
  int announced = 0;
  for (const auto& e : b().TakeEvents()) {
    announced += e.has_message_received() ? 1 : 0;
  }
  EXPECT_EQ(announced, 2);
  // An hour on (to the millisecond after the first), there is room again.
  pair_.Advance(hours(1) + milliseconds(1));
  ASSERT_TRUE(SendNudge(a()).ok());
  pair_.Settle();
  EXPECT_FALSE(Nudges(b()).back().nudge().over_budget());
}

TEST_F(NudgesTest, NudgesEachWayWithinTheWindowMakeASameMomentOnBothSides) {
  ASSERT_TRUE(SendNudge(a()).ok());
  pair_.Settle();
  pair_.Advance(seconds(10));  // Exactly the window: still the same moment.
  ASSERT_TRUE(SendNudge(b()).ok());
  pair_.Settle();
  EXPECT_EQ(Moments(a()), 1u);
  EXPECT_EQ(Moments(b()), 1u);

  // Each pair makes one moment; a millisecond beyond the window makes none.
  pair_.Advance(minutes(1));
  ASSERT_TRUE(SendNudge(a()).ok());
  pair_.Settle();
  pair_.Advance(seconds(10) + milliseconds(1));
  ASSERT_TRUE(SendNudge(b()).ok());
  pair_.Settle();
  EXPECT_EQ(Moments(a()), 1u);
  EXPECT_EQ(Moments(b()), 1u);
}

TEST_F(NudgesTest, ANudgeThatCannotBeWrittenCostsNothingAndTakesNoPlace) {
  SetBudget(2);
  pair_.LinkDown();
  {
    DiskLimit full;
    EXPECT_FALSE(SendNudge(a()).ok());
  }
  // The failed one neither counts against the budget nor waits in the queue under
  // the history id that the next entry takes.
  auto text = a().Send("a text");
  ASSERT_TRUE(text.ok());
  auto first = SendNudge(a());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_NE(first->id(), text->id());
  EXPECT_EQ(first->count(), 1u);
  auto second = SendNudge(a());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->count(), 2u);
  EXPECT_EQ(a().Message(text->id())->kind(), Message::TEXT);
  EXPECT_EQ(a().Message(text->id())->text(), "a text");
  pair_.LinkUp();
  auto got = All(b(), Message::INCOMING, Message::TEXT);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text(), "a text");
  auto received = Nudges(b());
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].nudge().count(), 2u);
  EXPECT_EQ(a().Message(text->id())->state(), Message::DELIVERED);
}

}  // namespace
}  // namespace inmost::test
