// The port mapping's rounds (daemon/reach/lease_keeper.h) against a fake home router:
// what it maps, when it only checks and when it renews, and how it recovers when the
// router forgets the mapping, changes its address, stops answering or says no; the same
// for the IPv6 pinholes, and what it does when the router opens none.
#include "daemon/reach/lease_keeper.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace inmost::reach {
namespace {

using namespace std::chrono_literals;
using Phase = MappingState::Phase;

constexpr uint16_t kPort = 7433;

// The home router: what it forwards and how it behaves, shared by every FakeGateway
// that LeaseKeeper discovers (each discovery makes a new one, as the real one does).
struct Router {
  std::string external_ip = "203.0.113.7";
  bool found = true;                      // Answers discovery.
  bool answering = true;                  // false: every call is Unavailable (gone, or restarting).
  bool refusing = false;                  // Map answers FailedPrecondition.
  std::chrono::seconds max_lease{24h};    // Longer leases are cut to this.
  std::map<uint16_t, PortMap> forwarded;  // By external port.
  std::set<uint16_t> taken;               // External ports another host has.
  int discovered = 0, maps = 0, checks = 0, unmaps = 0;
  uint16_t last_wanted = 0;
  // IPv6 pinholes.
  bool pinholes = true;                    // false: Unsupported (an IGDv1 router, NAT-PMP).
  std::set<std::string> refused_addresses;  // OpenPinhole answers FailedPrecondition.
  std::map<std::string, Pinhole> open;     // By id.
  int next_id = 1, opens = 0, renewals = 0, pinhole_checks = 0, closes = 0;
};

class FakeGateway final : public Gateway {
 public:
  explicit FakeGateway(Router& router) : router_(router) {}
  std::string_view protocol() const override { return kUpnpIgd; }
  Result<std::string> ExternalAddress() override {
    if (!router_.answering) return Unavailable("no answer from the router");
    return router_.external_ip;
  }
  Result<PortMap> Map(uint16_t internal_port, uint16_t wanted,
                      std::chrono::seconds lease) override {
    ++router_.maps;
    router_.last_wanted = wanted;
    if (!router_.answering) return Unavailable("no answer from the router");
    if (router_.refusing) return FailedPrecondition("the router refused: not authorized");
    uint16_t port = wanted;
    while (router_.taken.count(port) != 0) ++port;  // A conflict: the next free one.
    const bool permanent = lease.count() == 0;
    PortMap map{std::string(kUpnpIgd),
                router_.external_ip,
                port,
                "192.168.1.20",
                internal_port,
                permanent ? lease : std::min(lease, router_.max_lease)};
    router_.forwarded[port] = map;
    return map;
  }
  Result<bool> StillMapped(const PortMap& map) override {
    ++router_.checks;
    if (!router_.answering) return Unavailable("no answer from the router");
    return router_.forwarded.count(map.external_port) != 0;
  }
  Status Unmap(const PortMap& map) override {
    ++router_.unmaps;
    if (!router_.answering) return Unavailable("no answer from the router");
    router_.forwarded.erase(map.external_port);
    return Status::Ok();
  }
  Result<Pinhole> OpenPinhole(const std::string& address, uint16_t port,
                              std::chrono::seconds lease) override {
    ++router_.opens;
    if (!router_.answering) return Unavailable("no answer from the router");
    if (!router_.pinholes) return Unsupported("the router offers no IPv6 firewall control");
    if (router_.refused_addresses.count(address) != 0) {
      return FailedPrecondition("the router opens a pinhole only for the address that asks");
    }
    Pinhole pinhole{std::to_string(router_.next_id++), address, port,
                    std::min(lease, router_.max_lease)};
    router_.open[pinhole.id] = pinhole;
    return pinhole;
  }
  Status RenewPinhole(const Pinhole& pinhole, std::chrono::seconds) override {
    ++router_.renewals;
    if (!router_.answering) return Unavailable("no answer from the router");
    if (router_.open.count(pinhole.id) == 0) return NotFound("no such pinhole");
    return Status::Ok();
  }
  Result<bool> PinholeOpen(const Pinhole& pinhole) override {
    ++router_.pinhole_checks;
    if (!router_.answering) return Unavailable("no answer from the router");
    return router_.open.count(pinhole.id) != 0;
  }
  Status ClosePinhole(const Pinhole& pinhole) override {
    ++router_.closes;
    if (!router_.answering) return Unavailable("no answer from the router");
    router_.open.erase(pinhole.id);
    return Status::Ok();
  }

 private:
  Router& router_;
};

class LeaseKeeperTest : public ::testing::Test {
 protected:
  LeaseKeeper Keeper(std::chrono::seconds lease = 1h) {
    return LeaseKeeper(
        kPort, lease,
        [this]() -> Result<std::unique_ptr<Gateway>> {
          ++router_.discovered;
          if (!router_.found) return Unavailable("no UPnP-IGD or NAT-PMP gateway answered");
          return std::unique_ptr<Gateway>(std::make_unique<FakeGateway>(router_));
        },
        [this] { return ipv6_; });
  }
  static std::vector<std::string> Addresses(const MappingState& state) {
    std::vector<std::string> addresses;
    for (const auto& pinhole : state.pinholes) addresses.push_back(pinhole.address);
    return addresses;
  }
  static bool Mentions(const MappingState& state, const std::string& words) {
    for (const auto& line : state.news) {
      if (line.find(words) != std::string::npos) return true;
    }
    return false;
  }

  Router router_;
  std::vector<std::string> ipv6_;  // This machine's global IPv6 addresses: none by default.
  // Any steady time will do: the keeper only compares the ones it is given.
  const core::SteadyTime t0_ = core::SteadyTime{} + 100h;
};

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

// ---- IPv6 pinholes -------------------------------------------------------------------

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
