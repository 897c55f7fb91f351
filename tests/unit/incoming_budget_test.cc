#include "daemon/core/incoming_budget.h"

#include <gtest/gtest.h>

namespace inmost::core {
namespace {

constexpr int64_t kStart = 1'800'000'000'000;  // A whole minute.
constexpr int64_t kMinute = 60'000;

TEST(IncomingBudget, AnHonestPartnerNeverMeetsTheDefaults) {
  IncomingBudget budget;
  Unread unread;
  // A lively day: a message every few seconds for an hour, each a long one.
  for (int i = 0; i < 2000; ++i) {
    ASSERT_FALSE(budget.Refusal(kStart + i * 1800, 4000, unread)) << i;
    budget.Count(kStart + i * 1800, 4000);
    unread.items += 1;
    unread.bytes += 4000;
  }
}

TEST(IncomingBudget, RefusesPastTheItemsOfAnHourUntilTheHourMovesOn) {
  IncomingBudget budget({.items_per_hour = 3});
  Unread unread;
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(budget.Refusal(kStart + i * kMinute, 10, unread));
    budget.Count(kStart + i * kMinute, 10);
  }
  auto why = budget.Refusal(kStart + 3 * kMinute, 10, unread);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "more than 3 items in an hour");
  EXPECT_TRUE(budget.Refusal(kStart + 59 * kMinute, 0, unread)) << "still within the hour";
  // An hour after the first, one slot is free again: exactly one more fits.
  EXPECT_FALSE(budget.Refusal(kStart + 60 * kMinute, 0, unread));
  EXPECT_FALSE(budget.Refusal(kStart + 60 * kMinute, 10, unread));
  budget.Count(kStart + 60 * kMinute, 10);
  EXPECT_TRUE(budget.Refusal(kStart + 60 * kMinute, 10, unread));
}

TEST(IncomingBudget, RefusesPastTheBytesOfAnHour) {
  IncomingBudget budget({.bytes_per_hour = 2 << 20});
  Unread unread;
  budget.Count(kStart, 2 << 20);
  auto why = budget.Refusal(kStart + 1, 1, unread);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "more than 2 MiB in an hour");
}

TEST(IncomingBudget, RefusesPastWhatIsNotYetReadUntilItIsRead) {
  IncomingBudget budget({.unread_items = 5, .unread_bytes = 1000});
  EXPECT_EQ(*budget.Refusal(kStart, 1, {.items = 5, .bytes = 5}), "more than 5 items not yet read");
  EXPECT_EQ(*budget.Refusal(kStart, 10, {.items = 1, .bytes = 995}),
            "more than 1000 bytes not yet read");
  EXPECT_TRUE(budget.Refusal(kStart, 0, {.items = 5, .bytes = 5})) << "no room for one more";
  EXPECT_FALSE(budget.Refusal(kStart, 0, {.items = 4, .bytes = 1000})) << "room, once read";
  EXPECT_FALSE(budget.Refusal(kStart, 5, {.items = 4, .bytes = 995}));
}

TEST(IncomingBudget, OldMinutesAreForgottenNotCountedTwice) {
  IncomingBudget budget({.items_per_hour = 2});
  Unread unread;
  budget.Count(kStart, 1);
  // The same slot of the ring, an hour later: the old minute no longer counts.
  budget.Count(kStart + 60 * kMinute, 1);
  EXPECT_FALSE(budget.Refusal(kStart + 60 * kMinute, 1, unread));
}

}  // namespace
}  // namespace inmost::core
