// The core fixture itself: a pair wired as two daemons exchanges a text both ways
// with no sockets, and a side survives a restart over its own directory.
#include "tests/unit/core_fixture.h"

#include <gtest/gtest.h>

namespace inmost::test {
namespace {

using control::Message;

TEST_F(CorePairTest, ATextCrossesThePairBothWays) {
  ASSERT_TRUE(a().Send("hello b").ok());
  ASSERT_TRUE(b().Send("hello a").ok());
  pair_.Settle();
  EXPECT_EQ(b().Texts(Message::INCOMING), std::vector<std::string>{"hello b"});
  EXPECT_EQ(a().Texts(Message::INCOMING), std::vector<std::string>{"hello a"});
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
  EXPECT_EQ(b()->conversation.unacknowledged(), 0u);
}

TEST_F(CorePairTest, ASideRestartsOverItsOwnDirectory) {
  ASSERT_TRUE(a().Send("kept").ok());
  pair_.Settle();
  ASSERT_TRUE(b().Restart().ok());
  EXPECT_EQ(b().Texts(Message::INCOMING), std::vector<std::string>{"kept"});
  EXPECT_TRUE(b()->partners.partner().has_value());
}

}  // namespace
}  // namespace inmost::test
