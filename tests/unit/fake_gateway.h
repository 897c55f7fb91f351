// A fake home router for the port mapping's unit tests (lease_keeper_test.cc,
// lease_keeper_pinhole_test.cc): a Gateway (daemon/reach/gateway.h) over shared
// state the tests set and inspect, and the fixture that makes a LeaseKeeper on it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "daemon/reach/lease_keeper.h"

namespace inmost::reach::testing_router {

using namespace std::chrono_literals;

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
  bool pinholes = true;                     // false: Unsupported (an IGDv1 router, NAT-PMP).
  std::set<std::string> refused_addresses;  // OpenPinhole answers FailedPrecondition.
  std::map<std::string, Pinhole> open;      // By id.
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

}  // namespace inmost::reach::testing_router
