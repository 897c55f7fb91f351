// The port mapping's IPv6 pinholes (daemon/reach/lease_keeper.h) against a fake home
// router: which addresses get one, renewal, a forgotten or refused pinhole, and a
// router that opens none.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/reach/lease_keeper.h"
#include "tests/unit/fake_gateway.h"

namespace inmost::reach {
namespace {

using namespace testing_router;
using namespace std::chrono_literals;
using Phase = MappingState::Phase;

constexpr char kV6a[] = "2001:db8:1::2";
constexpr char kV6b[] = "2001:db8:1::3";

TEST_F(LeaseKeeperTest, WithoutGlobalIPv6AddressesNoPinholeIsAskedFor) {
  LeaseKeeper keeper = Keeper();
  EXPECT_TRUE(keeper.Round(t0_).pinholes.empty());
  EXPECT_EQ(router_.opens, 0);
}

TEST_F(LeaseKeeperTest, EachGlobalIPv6AddressGetsAPinholeToThePort) {
  ipv6_ = {kV6a, kV6b};
  LeaseKeeper keeper = Keeper();
  const MappingState& state = keeper.Round(t0_);
  EXPECT_EQ(state.phase, Phase::kMapped);
  EXPECT_EQ(Addresses(state), (std::vector<std::string>{kV6a, kV6b}));
  EXPECT_EQ(state.pinholes[0].port, kPort);
  EXPECT_EQ(state.pinholes[0].lease, 1h);
  EXPECT_EQ(router_.open.size(), 2u);
  EXPECT_TRUE(Mentions(state, "the router lets the internet in to [2001:db8:1::2]:7433"));
  // Later rounds only check, and say nothing.
  const MappingState& later = keeper.Round(t0_ + 1min);
  EXPECT_EQ(router_.opens, 2);
  EXPECT_EQ(router_.pinhole_checks, 2);
  EXPECT_TRUE(later.news.empty());
}

TEST_F(LeaseKeeperTest, AtMostAFewPinholes) {
  ipv6_ = {"2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4", "2001:db8::5"};
  LeaseKeeper keeper = Keeper();
  EXPECT_EQ(keeper.Round(t0_).pinholes.size(), kMaxPinholes);
  EXPECT_EQ(router_.opens, static_cast<int>(kMaxPinholes));
}

TEST_F(LeaseKeeperTest, APinholeIsRenewedAtHalfItsLease) {
  ipv6_ = {kV6a};
  router_.max_lease = 10min;
  LeaseKeeper keeper = Keeper(1h);
  EXPECT_EQ(keeper.Round(t0_).pinholes.at(0).lease, 10min);
  keeper.Round(t0_ + 5min - 1s);
  EXPECT_EQ(router_.renewals, 0);
  keeper.Round(t0_ + 5min);
  EXPECT_EQ(router_.renewals, 1);
  EXPECT_EQ(router_.opens, 1) << "renewed, not opened again";
  EXPECT_EQ(keeper.state().pinholes.size(), 1u);
}

TEST_F(LeaseKeeperTest, APinholeTheRouterForgotIsOpenedAgain) {
  ipv6_ = {kV6a};
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  router_.open.clear();  // The router restarted.
  const MappingState& state = keeper.Round(t0_ + 1min);
  EXPECT_EQ(router_.opens, 2);
  ASSERT_EQ(state.pinholes.size(), 1u);
  EXPECT_EQ(router_.open.count(state.pinholes[0].id), 1u);
  EXPECT_TRUE(Mentions(state, "the router forgot the IPv6 pinhole [2001:db8:1::2]:7433"));
  // Forgotten by renewal time: the renewal's NotFound opens it again too.
  router_.open.clear();
  keeper.Round(t0_ + 1min + 30min);
  EXPECT_EQ(router_.renewals, 1);
  EXPECT_EQ(router_.opens, 3);
  EXPECT_EQ(router_.open.size(), 1u);
}

TEST_F(LeaseKeeperTest, APinholeForAnAddressThisMachineLostIsClosed) {
  ipv6_ = {kV6a, kV6b};
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  ipv6_ = {kV6b};
  const MappingState& state = keeper.Round(t0_ + 1min);
  EXPECT_EQ(Addresses(state), (std::vector<std::string>{kV6b}));
  EXPECT_EQ(router_.closes, 1);
  EXPECT_EQ(router_.open.size(), 1u);
  EXPECT_TRUE(Mentions(state, "no longer has the address"));
}

TEST_F(LeaseKeeperTest, ARouterWithoutPinholesIsToldOnceAndNotAskedAgain) {
  ipv6_ = {kV6a};
  router_.pinholes = false;
  LeaseKeeper keeper = Keeper();
  const MappingState& state = keeper.Round(t0_);
  EXPECT_EQ(state.phase, Phase::kMapped) << "the IPv4 mapping does not depend on it";
  EXPECT_TRUE(state.pinholes.empty());
  EXPECT_TRUE(Mentions(state, "no IPv6 pinholes: the router offers no IPv6 firewall control"));
  keeper.Round(t0_ + 1min);
  keeper.Round(t0_ + 2h);
  EXPECT_EQ(router_.opens, 1);
  EXPECT_TRUE(keeper.state().news.empty());
}

TEST_F(LeaseKeeperTest, ARefusedAddressIsToldOnceAndAskedAgainAtRenewalPace) {
  ipv6_ = {kV6a, kV6b};
  router_.refused_addresses.insert(kV6b);
  LeaseKeeper keeper = Keeper();
  const MappingState& state = keeper.Round(t0_);
  EXPECT_EQ(Addresses(state), (std::vector<std::string>{kV6a}));
  EXPECT_TRUE(Mentions(state, "no IPv6 pinhole for [2001:db8:1::3]:7433"));
  keeper.Round(t0_ + 1min);
  EXPECT_EQ(router_.opens, 2) << "not asked again before half a lease";
  keeper.Round(t0_ + 30min);
  EXPECT_EQ(router_.opens, 3);
  EXPECT_FALSE(Mentions(keeper.state(), "no IPv6 pinhole")) << "said once";
  router_.refused_addresses.clear();
  keeper.Round(t0_ + 60min);
  EXPECT_EQ(Addresses(keeper.state()), (std::vector<std::string>{kV6a, kV6b}));
}

TEST_F(LeaseKeeperTest, PinholesAreKeptWhenTheIPv4MappingIsRefused) {
  ipv6_ = {kV6a};
  router_.refusing = true;
  LeaseKeeper keeper = Keeper();
  const MappingState& state = keeper.Round(t0_);
  EXPECT_EQ(state.phase, Phase::kNone);
  EXPECT_EQ(Addresses(state), (std::vector<std::string>{kV6a}));
}

TEST_F(LeaseKeeperTest, ARouterThatStopsAnsweringLosesThePinholesUntilFoundAgain) {
  ipv6_ = {kV6a};
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  router_.answering = false;
  const MappingState& lost = keeper.Round(t0_ + 1min);
  EXPECT_TRUE(lost.pinholes.empty());
  EXPECT_TRUE(Mentions(lost, "lost the IPv6 pinholes"));
  router_.answering = true;
  router_.open.clear();
  EXPECT_EQ(keeper.Round(t0_ + 2min).pinholes.size(), 1u);
  EXPECT_EQ(router_.discovered, 2);
}

TEST_F(LeaseKeeperTest, ReleaseClosesEveryPinhole) {
  ipv6_ = {kV6a, kV6b};
  LeaseKeeper keeper = Keeper();
  keeper.Round(t0_);
  keeper.Release();
  EXPECT_EQ(router_.closes, 2);
  EXPECT_TRUE(router_.open.empty());
  EXPECT_TRUE(keeper.state().pinholes.empty());
  EXPECT_TRUE(Mentions(keeper.state(), "closed the IPv6 pinhole [2001:db8:1::2]:7433"));
  EXPECT_FALSE(Mentions(keeper.state(), "the router lets")) << "only the release's news";
  keeper.Release();
  EXPECT_EQ(router_.closes, 2) << "nothing left to close";
}

TEST_F(LeaseKeeperTest, APermanentMappingStillGetsLeasedPinholes) {
  ipv6_ = {kV6a};
  router_.max_lease = 48h;
  LeaseKeeper keeper = Keeper(0s);
  EXPECT_EQ(keeper.Round(t0_).pinholes.at(0).lease, kMaxPinholeLease);
  keeper.Round(t0_ + kMaxPinholeLease / 2);
  EXPECT_EQ(router_.renewals, 1);
}

}  // namespace
}  // namespace inmost::reach
