// The incoming budget across a pair (test_incoming_budget.py end to end): the
// receiver stores exactly its budget, refuses the rest, which waits on the
// sender's side, and takes it again, each item once and in order, once an hour has
// passed (to the millisecond) or reading has made room.
#include <gtest/gtest.h>

#include "tests/unit/core_fixture.h"

namespace inmost::test {
namespace {

using control::Message;
using std::chrono::hours;
using std::chrono::milliseconds;

CoreOptions Budget(uint64_t items_per_hour, uint64_t unread_items = 100'000) {
  CoreOptions options;
  options.incoming.items_per_hour = items_per_hour;
  options.incoming.unread_items = unread_items;
  return options;
}

// The notices (lines from inmost) in `side`'s history about `direction`'s stream.
std::vector<std::string> Notices(CoreSide& side) {
  std::vector<std::string> notices;
  for (const auto& m : side.History()) {
    if (m.kind() == Message::NOTICE) notices.push_back(m.text());
  }
  return notices;
}

std::vector<std::string> Texts(const std::string& prefix, int from, int to) {
  std::vector<std::string> texts;
  for (int i = from; i < to; ++i) texts.push_back(prefix + std::to_string(i));
  return texts;
}

class BudgetTest : public ::testing::Test {
 protected:
  explicit BudgetTest(CoreOptions b_options) : pair_(CoreOptions(), std::move(b_options)) {}
  void SetUp() override {
    ASSERT_TRUE(pair_.Open().ok());
    pair_.LinkUp();
  }
  CoreSide& a() { return pair_.a(); }
  CoreSide& b() { return pair_.b(); }
  void SendAll(const std::vector<std::string>& texts) {
    for (const auto& text : texts) ASSERT_TRUE(a().Send(text).ok()) << text;
    pair_.Settle();
  }
  std::vector<std::string> Received() {
    std::vector<std::string> texts;
    for (const auto& m : b().History()) {
      if (m.direction() == Message::INCOMING && m.kind() == Message::TEXT)
        texts.push_back(m.text());
    }
    return texts;
  }

  CorePair pair_;
};

class HourlyBudgetTest : public BudgetTest {
 protected:
  HourlyBudgetTest() : BudgetTest(Budget(3)) {}
};

TEST_F(HourlyBudgetTest, TheReceiverStoresExactlyItsBudgetAndTheRestWaits) {
  SendAll(Texts("t", 0, 5));
  EXPECT_EQ(Received(), Texts("t", 0, 3));
  EXPECT_EQ(a()->conversation.unacknowledged(), 2u);
  EXPECT_NE(b()->conversation.refusing_partner().find("more than 3 items in an hour"),
            std::string::npos);
  EXPECT_EQ(a()->conversation.partner_refuses(), b()->conversation.refusing_partner());
  // Each user is told once, however often more is refused.
  SendAll(Texts("t", 5, 7));
  ASSERT_EQ(Notices(b()).size(), 1u);
  EXPECT_NE(Notices(b())[0].find("more than 3 items in an hour"), std::string::npos);
  ASSERT_EQ(Notices(a()).size(), 1u);
  EXPECT_NE(Notices(a())[0].find("refuses more for now"), std::string::npos);
  // b's own stream is not held up.
  ASSERT_TRUE(b().Send("still here").ok());
  pair_.Settle();
  EXPECT_EQ(a().Texts(Message::INCOMING).back(), "still here");
}

TEST_F(HourlyBudgetTest, TheHourEndsOnTheMillisecondAndTheRestArrivesOnceInOrder) {
  SendAll(Texts("t", 0, 5));  // All counted in the first minute (the clock stands).
  pair_.Advance(hours(1) - milliseconds(1));
  SendAll({"late"});  // Any message lets b look again: still within the hour.
  EXPECT_EQ(Received(), Texts("t", 0, 3));
  EXPECT_FALSE(b()->conversation.refusing_partner().empty());

  pair_.Advance(milliseconds(1));
  SendAll({"later"});  // A new hour: three more fit, "later" waits again.
  std::vector<std::string> fit = Texts("t", 0, 5);
  fit.push_back("late");
  EXPECT_EQ(Received(), fit);
  EXPECT_FALSE(b()->conversation.refusing_partner().empty());
  EXPECT_EQ(a()->conversation.unacknowledged(), 1u);

  pair_.Advance(hours(1));
  SendAll({"last"});
  fit.push_back("later");
  fit.push_back("last");
  EXPECT_EQ(Received(), fit);
  EXPECT_TRUE(b()->conversation.refusing_partner().empty());
  EXPECT_TRUE(a()->conversation.partner_refuses().empty());
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
}

TEST_F(HourlyBudgetTest, ANewHourDuringASenderRestartLetsTheRestIn) {
  SendAll(Texts("t", 0, 5));
  pair_.LinkDown();
  ASSERT_TRUE(a().Restart(/*crash=*/true).ok());
  pair_.Advance(hours(1));
  pair_.LinkUp();
  EXPECT_EQ(Received(), Texts("t", 0, 5));
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
}

class UnreadBudgetTest : public BudgetTest {
 protected:
  UnreadBudgetTest() : BudgetTest(Budget(100'000, 2)) {}
};

TEST_F(UnreadBudgetTest, ReadingMakesRoomAtOnce) {
  SendAll(Texts("u", 0, 5));
  EXPECT_EQ(Received(), Texts("u", 0, 2));
  EXPECT_NE(b()->conversation.refusing_partner().find("more than 2 items not yet read"),
            std::string::npos);
  control::Request read;
  read.mutable_mark_read();
  ASSERT_TRUE(b().Call(read).ok());
  pair_.Settle();
  EXPECT_EQ(Received(), Texts("u", 0, 4));
  ASSERT_TRUE(b().Call(read).ok());
  pair_.Settle();
  EXPECT_EQ(Received(), Texts("u", 0, 5));
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
}

}  // namespace
}  // namespace inmost::test
