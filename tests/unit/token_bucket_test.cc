// TokenBucket (daemon/core/token_bucket.h): refill with time, the burst cap and the
// exact edges, with the time passed in: nothing here sleeps.
#include "daemon/core/token_bucket.h"

#include <gtest/gtest.h>

namespace inmost::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Time = TokenBucket::TimePoint;

const Time kStart = Time{} + seconds(1000);

TEST(TokenBucket, StartsFullWithTheBurst) {
  TokenBucket bucket(/*rate_per_second=*/10, /*burst=*/3, kStart);
  EXPECT_TRUE(bucket.FullAt(kStart));
  EXPECT_TRUE(bucket.TryTake(1, kStart));
  EXPECT_TRUE(bucket.TryTake(1, kStart));
  EXPECT_TRUE(bucket.TryTake(1, kStart));
  EXPECT_FALSE(bucket.TryTake(1, kStart));
  EXPECT_FALSE(bucket.FullAt(kStart));
}

TEST(TokenBucket, RefillsAtTheRate) {
  TokenBucket bucket(/*rate_per_second=*/10, /*burst=*/2, kStart);
  ASSERT_TRUE(bucket.TryTake(2, kStart));
  TokenBucket early = bucket;
  EXPECT_FALSE(early.TryTake(1, kStart + milliseconds(99)));   // 0.99 of a token.
  EXPECT_TRUE(bucket.TryTake(1, kStart + milliseconds(100)));  // Exactly one.
  EXPECT_FALSE(bucket.TryTake(1, kStart + milliseconds(100)));
  EXPECT_TRUE(bucket.TryTake(1, kStart + milliseconds(200)));
}

TEST(TokenBucket, NeverHoldsMoreThanTheBurst) {
  TokenBucket bucket(/*rate_per_second=*/10, /*burst=*/3, kStart);
  ASSERT_TRUE(bucket.TryTake(3, kStart));
  const Time later = kStart + seconds(3600);  // Refilled many times over: still 3.
  EXPECT_TRUE(bucket.FullAt(later));
  EXPECT_FALSE(bucket.TryTake(4, later));
  EXPECT_TRUE(bucket.TryTake(3, later));
  EXPECT_FALSE(bucket.TryTake(1, later));
}

TEST(TokenBucket, FullExactlyWhenRefilledToTheBurst) {
  TokenBucket bucket(/*rate_per_second=*/4, /*burst=*/2, kStart);
  ASSERT_TRUE(bucket.TryTake(1, kStart));
  EXPECT_FALSE(bucket.FullAt(kStart + milliseconds(249)));
  EXPECT_TRUE(bucket.FullAt(kStart + milliseconds(250)));
}

TEST(TokenBucket, FailedTakeTakesNothing) {
  TokenBucket bucket(/*rate_per_second=*/1, /*burst=*/5, kStart);
  EXPECT_FALSE(bucket.TryTake(6, kStart));
  EXPECT_TRUE(bucket.TryTake(5, kStart));
}

// Milliseconds as a double: waits are computed in floating point.
double Ms(TokenBucket::Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

TEST(TokenBucket, TimeUntilSaysWhenTheCostIsThere) {
  TokenBucket bucket(/*rate_per_second=*/1000, /*burst=*/4000, kStart);
  EXPECT_EQ(bucket.TimeUntil(4000, kStart), TokenBucket::Duration::zero());
  ASSERT_TRUE(bucket.TryTake(3500, kStart));  // 500 left.
  const auto wait = bucket.TimeUntil(2000, kStart);
  EXPECT_NEAR(Ms(wait), 1500, 1e-3);
  TokenBucket early = bucket;
  EXPECT_FALSE(early.TryTake(2000, kStart + wait - milliseconds(1)));
  EXPECT_TRUE(bucket.TryTake(2000, kStart + wait));
  // Waiting part of the way leaves the rest to wait.
  EXPECT_NEAR(Ms(bucket.TimeUntil(1000, kStart + wait + milliseconds(400))), 600, 1e-3);
}

TEST(TokenBucket, TimeUntilIsForeverWhenItCannotRefill) {
  TokenBucket no_rate(/*rate_per_second=*/0, /*burst=*/2, kStart);
  ASSERT_TRUE(no_rate.TryTake(2, kStart));
  EXPECT_EQ(no_rate.TimeUntil(1, kStart + seconds(60)), TokenBucket::Duration::max());
  EXPECT_FALSE(no_rate.TryTake(1, kStart + seconds(60)));
  TokenBucket small(/*rate_per_second=*/10, /*burst=*/2, kStart);
  EXPECT_EQ(small.TimeUntil(3, kStart), TokenBucket::Duration::max());
}

TEST(TokenBucket, KeepsItsArgumentsInRange) {
  // A negative rate refills nothing; a burst below 1 still lets one token through.
  TokenBucket bucket(/*rate_per_second=*/-5, /*burst=*/0, kStart);
  EXPECT_TRUE(bucket.TryTake(1, kStart));
  EXPECT_FALSE(bucket.TryTake(1, kStart + seconds(10)));
}

TEST(TokenBucket, TimeGoingBackDoesNotRefillOrRewind) {
  TokenBucket bucket(/*rate_per_second=*/10, /*burst=*/1, kStart);
  ASSERT_TRUE(bucket.TryTake(1, kStart + seconds(1)));
  EXPECT_EQ(bucket.updated(), kStart + seconds(1));
  EXPECT_FALSE(bucket.TryTake(1, kStart));  // Earlier than the last refill.
  EXPECT_EQ(bucket.updated(), kStart + seconds(1));
  EXPECT_TRUE(bucket.TryTake(1, kStart + seconds(1) + milliseconds(100)));
}

}  // namespace
}  // namespace inmost::core
