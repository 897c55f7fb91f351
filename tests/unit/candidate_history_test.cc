// The dialer's memory of failing addresses (daemon/peer/candidate_history.h): an
// address failing for long is tried less often, but never dropped while it is all
// there is.
#include "daemon/peer/candidate_history.h"

#include <gtest/gtest.h>

namespace inmost::peer {
namespace {

using Addresses = std::vector<std::string>;

const core::SteadyTime kStart{std::chrono::hours(1)};

TEST(CandidateHistoryTest, AFreshFailureKeepsTheAddressInEveryRound) {
  CandidateHistory history;
  const Addresses both{"5.6.7.1:7433", "10.0.0.2:7433"};
  history.Failed("5.6.7.1:7433", kStart);
  EXPECT_EQ(history.Pick(both, kStart + std::chrono::minutes(9)), both);
}

TEST(CandidateHistoryTest, AnAddressFailingForLongIsTriedOnlyEveryRetryInterval) {
  CandidateHistory history;
  const Addresses both{"5.6.7.1:7433", "10.0.0.2:7433"};
  history.Failed("5.6.7.1:7433", kStart);
  const auto stale_at = kStart + kStaleAfter;
  history.Failed("5.6.7.1:7433", stale_at);  // Failing for kStaleAfter now.
  EXPECT_EQ(history.Pick(both, stale_at + std::chrono::minutes(1)), Addresses{"10.0.0.2:7433"});
  // Its turn comes again kStaleRetry after its last try.
  EXPECT_EQ(history.Pick(both, stale_at + kStaleRetry), both);
}

TEST(CandidateHistoryTest, WhenEveryAddressIsStaleAllAreTried) {
  CandidateHistory history;
  const Addresses only{"5.6.7.1:7433"};
  history.Failed("5.6.7.1:7433", kStart);
  history.Failed("5.6.7.1:7433", kStart + kStaleAfter);
  EXPECT_EQ(history.Pick(only, kStart + kStaleAfter + std::chrono::seconds(30)), only);
}

TEST(CandidateHistoryTest, ASuccessMakesTheAddressFreshAgain) {
  CandidateHistory history;
  const Addresses both{"5.6.7.1:7433", "10.0.0.2:7433"};
  history.Failed("5.6.7.1:7433", kStart);
  history.Succeeded("5.6.7.1:7433");
  history.Failed("5.6.7.1:7433", kStart + kStaleAfter);  // A new streak starts here.
  EXPECT_EQ(history.Pick(both, kStart + kStaleAfter + std::chrono::minutes(1)), both);
}

TEST(CandidateHistoryTest, AnAddressThePartnerNoLongerHasIsForgotten) {
  CandidateHistory history;
  history.Failed("5.6.7.1:7433", kStart);
  history.Failed("5.6.7.1:7433", kStart + kStaleAfter);
  const auto later = kStart + kStaleAfter + std::chrono::minutes(1);
  history.Pick({"10.0.0.2:7433"}, later);  // Told new addresses: the old record goes.
  const Addresses both{"5.6.7.1:7433", "10.0.0.2:7433"};
  EXPECT_EQ(history.Pick(both, later), both);
}

TEST(CandidateHistoryTest, FailuresTellTheLastErrorSinceTheFirstUntilOneWorks) {
  CandidateHistory history;
  history.Failed("5.6.7.1:7433", kStart, "Connection refused", 1000);
  history.Failed("5.6.7.1:7433", kStart + std::chrono::minutes(1), "no answer within 10000 ms",
                 61000);
  history.Failed("10.0.0.2:7433", kStart, "Network is unreachable", 2000);
  std::vector<DialFailureReport> failures = history.Failures();
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[1].address, "5.6.7.1:7433");
  EXPECT_EQ(failures[1].error, "no answer within 10000 ms");
  EXPECT_EQ(failures[1].at_unix_ms, 61000);
  EXPECT_EQ(failures[1].failing_since_unix_ms, 1000);
  history.Succeeded("5.6.7.1:7433");
  failures = history.Failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].address, "10.0.0.2:7433");
}

}  // namespace
}  // namespace inmost::peer
