#include "daemon/codec/core/quiet_window.h"

#include <gtest/gtest.h>

namespace inmost::core {
namespace {

TEST(QuietWindowTest, ParsesAndFormats) {
  auto window = ParseQuietWindow("22:00-07:30");
  ASSERT_TRUE(window.ok()) << window.status().ToString();
  EXPECT_EQ(window->start_minute, 22u * 60);
  EXPECT_EQ(window->end_minute, 7u * 60 + 30);
  EXPECT_EQ(window->ToString(), "22:00-07:30");
}

TEST(QuietWindowTest, RefusesWhatIsNotAWindow) {
  for (const char* bad :
       {"", "22:00", "22:00-", "-07:00", "24:00-07:00", "22:60-07:00", "7:00-08:00", "22:00-22:00",
        "22:00 07:00", "aa:bb-cc:dd", "22:00-07:00-08:00"}) {
    auto window = ParseQuietWindow(bad);
    EXPECT_FALSE(window.ok()) << bad;
    if (!window.ok()) {
      EXPECT_EQ(window.status().code(), Code::kInvalidArgument) << bad;
    }
  }
}

TEST(QuietWindowTest, SpansMidnight) {
  QuietWindow night{22 * 60, 7 * 60};
  EXPECT_TRUE(night.Contains(22 * 60));
  EXPECT_TRUE(night.Contains(23 * 60 + 59));
  EXPECT_TRUE(night.Contains(0));
  EXPECT_TRUE(night.Contains(7 * 60 - 1));
  EXPECT_FALSE(night.Contains(7 * 60));  // The end is not inside.
  EXPECT_FALSE(night.Contains(12 * 60));
  EXPECT_FALSE(night.Contains(22 * 60 - 1));
  EXPECT_EQ(night.MinutesLeft(23 * 60), 8u * 60);
  EXPECT_EQ(night.MinutesLeft(6 * 60 + 59), 1u);
}

TEST(QuietWindowTest, WithinOneDay) {
  QuietWindow lunch{12 * 60, 13 * 60};
  EXPECT_TRUE(lunch.Contains(12 * 60 + 30));
  EXPECT_FALSE(lunch.Contains(13 * 60));
  EXPECT_FALSE(lunch.Contains(11 * 60 + 59));
  EXPECT_FALSE(lunch.Contains(0));
  EXPECT_EQ(lunch.MinutesLeft(12 * 60 + 30), 30u);
}

}  // namespace
}  // namespace inmost::core
