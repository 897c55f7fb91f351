// The port mapping's rounds (daemon/reach/lease_keeper.h) against a fake home router:
// what it maps, when it only checks and when it renews, and how it recovers when the
// router forgets the mapping, changes its address, stops answering or says no.
#include "daemon/reach/lease_keeper.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/fake_gateway.h"

namespace inmost::reach {
namespace {

using namespace testing_router;
using namespace std::chrono_literals;
using Phase = MappingState::Phase;

TEST_F(LeaseKeeperTest, TheFirstRoundMapsTheInternalPortAsTheExternalOne) {
  LeaseKeeper keeper = Keeper();
  const MappingState& state = keeper.Round(t0_);
  ASSERT_EQ(state.phase, Phase::kMapped);
  EXPECT_EQ(router_.last_wanted, kPort);
  EXPECT_EQ(state.map->external_port, kPort);
  EXPECT_EQ(state.map->internal_port, kPort);
  EXPECT_EQ(state.map->external_ip, "203.0.113.7");
  EXPECT_EQ(state.expires_at, t0_ + 1h);
  EXPECT_TRUE(state.reason.empty());
  ASSERT_EQ(state.news.size(), 1u);
  EXPECT_EQ(state.news[0], "the router forwards 203.0.113.7:7433 to 192.168.1.20:7433 (UPnP-IGD)");
  EXPECT_EQ(router_.forwarded.count(kPort), 1u);
}

TEST_F(LeaseKeeperTest, BeforeHalfTheLeaseARoundOnlyChecks) {
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  const MappingState& state = keeper.Round(t0_ + 30min - 1ms);
  EXPECT_EQ(router_.maps, 1);
  EXPECT_EQ(router_.checks, 1);
  EXPECT_EQ(state.phase, Phase::kMapped);
  EXPECT_EQ(state.expires_at, t0_ + 1h);
  EXPECT_TRUE(state.news.empty()) << "nothing changed, so nothing to log";
}

TEST_F(LeaseKeeperTest, AtHalfTheLeaseItRenewsTheSamePort) {
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  const MappingState& state = keeper.Round(t0_ + 30min);
  EXPECT_EQ(router_.maps, 2);
  EXPECT_EQ(state.expires_at, t0_ + 30min + 1h);
  EXPECT_EQ(router_.last_wanted, kPort);
  EXPECT_TRUE(state.news.empty()) << "a renewal of the same mapping is no news";
  // Late rounds (the machine slept) renew too.
  keeper.Round(t0_ + 5h);
  EXPECT_EQ(router_.maps, 3);
  EXPECT_EQ(keeper.state().expires_at, t0_ + 5h + 1h);
}

TEST_F(LeaseKeeperTest, AShortenedLeaseIsRenewedAtHalfOfWhatWasGranted) {
  router_.max_lease = 10min;
  LeaseKeeper keeper = Keeper(1h);
  EXPECT_EQ(keeper.Round(t0_).expires_at, t0_ + 10min);
  keeper.Round(t0_ + 5min - 1s);
  EXPECT_EQ(router_.maps, 1);
  keeper.Round(t0_ + 5min);
  EXPECT_EQ(router_.maps, 2);
  EXPECT_EQ(keeper.state().expires_at, t0_ + 15min);
}

TEST_F(LeaseKeeperTest, ATakenPortGetsAnotherWhichRenewalsThenAskFor) {
  router_.taken.insert(kPort);
  LeaseKeeper keeper = Keeper();
  EXPECT_EQ(keeper.Round(t0_).map->external_port, kPort + 1);
  keeper.Round(t0_ + 30min);
  EXPECT_EQ(router_.last_wanted, kPort + 1);
  EXPECT_EQ(keeper.state().map->internal_port, kPort);
}

TEST_F(LeaseKeeperTest, AForgottenMappingIsMappedAgainAtOnce) {
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  router_.forwarded.clear();  // The router restarted.
  const MappingState& state = keeper.Round(t0_ + 1min);
  EXPECT_EQ(router_.maps, 2);
  EXPECT_EQ(state.phase, Phase::kMapped);
  EXPECT_EQ(router_.forwarded.count(kPort), 1u);
  EXPECT_EQ(state.expires_at, t0_ + 1min + 1h);
  EXPECT_TRUE(Mentions(state, "the router forgot the port mapping")) << state.news.size();
  EXPECT_EQ(router_.discovered, 1) << "the router still answers: no need to look again";
}

TEST_F(LeaseKeeperTest, ANewExternalAddressIsMappedAndTold) {
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  router_.external_ip = "198.51.100.9";
  const MappingState& state = keeper.Round(t0_ + 1min);
  ASSERT_EQ(state.phase, Phase::kMapped);
  EXPECT_EQ(state.map->external_ip, "198.51.100.9");
  EXPECT_TRUE(Mentions(state, "external address changed from 203.0.113.7 to 198.51.100.9"));
  EXPECT_TRUE(Mentions(state, "forwards 198.51.100.9:7433"));
}

TEST_F(LeaseKeeperTest, ARouterThatStopsAnsweringIsLookedForAgain) {
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  router_.answering = false;
  const MappingState& lost = keeper.Round(t0_ + 1min);
  EXPECT_EQ(lost.phase, Phase::kNone);
  EXPECT_FALSE(lost.map.has_value());
  EXPECT_EQ(lost.reason, "no answer from the router");
  EXPECT_TRUE(Mentions(lost, "lost the port mapping"));

  router_.answering = true;
  const MappingState& back = keeper.Round(t0_ + 2min);
  EXPECT_EQ(router_.discovered, 2) << "a lost gateway is discovered again";
  EXPECT_EQ(back.phase, Phase::kMapped);
  EXPECT_TRUE(back.reason.empty());
}

TEST_F(LeaseKeeperTest, NoAnswerToTheFirstMapIsLookedForAgainToo) {
  router_.answering = false;  // Found, then gone before it mapped.
  LeaseKeeper keeper = Keeper();
  EXPECT_EQ(keeper.Round(t0_).phase, Phase::kNone);
  EXPECT_TRUE(keeper.state().news.empty()) << "nothing was mapped, so nothing was lost";
  router_.answering = true;
  EXPECT_EQ(keeper.Round(t0_ + 1min).phase, Phase::kMapped);
  EXPECT_EQ(router_.discovered, 2);
}

TEST_F(LeaseKeeperTest, ARefusalLeavesNoMappingAndIsTriedAgainNextRound) {
  router_.refusing = true;
  LeaseKeeper keeper = Keeper();
  const MappingState& refused = keeper.Round(t0_);
  EXPECT_EQ(refused.phase, Phase::kNone);
  EXPECT_EQ(refused.reason, "the router refused: not authorized");
  EXPECT_FALSE(refused.map.has_value());

  router_.refusing = false;
  const MappingState& mapped = keeper.Round(t0_ + 1min);
  EXPECT_EQ(mapped.phase, Phase::kMapped);
  EXPECT_EQ(router_.maps, 2);
  EXPECT_EQ(router_.discovered, 1) << "a router that said no still answers: kept";
  EXPECT_TRUE(mapped.reason.empty());
}

TEST_F(LeaseKeeperTest, APermanentLeaseIsNeverRenewed) {
  LeaseKeeper keeper = Keeper(0s);
  EXPECT_EQ(keeper.Round(t0_).expires_at, core::SteadyTime::max());
  keeper.Round(t0_ + 24h * 365);
  EXPECT_EQ(router_.maps, 1);
  EXPECT_EQ(router_.checks, 1) << "still checked, for a restart or a new address";
  EXPECT_EQ(keeper.state().phase, Phase::kMapped);
}

TEST_F(LeaseKeeperTest, ReleaseUnmapsOnceAndLeavesNoMapping) {
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  keeper.Release();
  EXPECT_EQ(router_.unmaps, 1);
  EXPECT_TRUE(router_.forwarded.empty());
  EXPECT_EQ(keeper.state().phase, Phase::kNone);
  EXPECT_FALSE(keeper.state().map.has_value());
  EXPECT_TRUE(Mentions(keeper.state(), "dropped the port mapping 203.0.113.7:7433"));
  keeper.Release();
  EXPECT_EQ(router_.unmaps, 1) << "nothing left to drop";
}

TEST_F(LeaseKeeperTest, ReleaseWithoutAMappingAsksTheRouterNothing) {
  router_.refusing = true;
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  keeper.Release();
  EXPECT_EQ(router_.unmaps, 0);
  EXPECT_EQ(keeper.state().phase, Phase::kNone);
}

TEST_F(LeaseKeeperTest, NoRouterFoundGivesTheDiscoverysReasonAndLooksAgain) {
  router_.found = false;
  LeaseKeeper keeper = Keeper();
  const MappingState& state = keeper.Round(t0_);
  EXPECT_EQ(state.phase, Phase::kNone);
  EXPECT_EQ(state.reason, "no UPnP-IGD or NAT-PMP gateway answered");
  EXPECT_EQ(router_.maps, 0);
  router_.found = true;
  EXPECT_EQ(keeper.Round(t0_ + 1min).phase, Phase::kMapped);
  EXPECT_EQ(router_.discovered, 2);
}

}  // namespace
}  // namespace inmost::reach
