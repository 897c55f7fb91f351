// What keeps this daemon's port forwarded on the home router: one round, run again
// and again, finds a gateway, maps the port, renews the lease at half-life, and maps
// it again when the router forgot it (a restart) or changed its external address; and,
// where the router's IPv6 firewall allows it, keeps a pinhole open to the port on each
// of this machine's global IPv6 addresses (at most kMaxPinholes) the same way. It
// blocks in the gateway's calls, so it runs on the port mapping's worker thread
// (port_mapping.h); time comes in as an argument, so unit tests drive it with a fake
// gateway and no clock. It must never log: what happened comes back as `news`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/reach/gateway.h"

namespace inmost::reach {

// Pinholes asked for at most: one per global IPv6 address, and a machine has few.
inline constexpr size_t kMaxPinholes = 3;
// The longest lease a pinhole may have (UPnP IGD:2).
inline constexpr std::chrono::seconds kMaxPinholeLease{86400};

// Where the mapping stands after a round.
struct MappingState {
  enum class Phase { kSearching, kMapped, kNone };
  Phase phase = Phase::kSearching;
  std::optional<PortMap> map;     // Set while kMapped.
  core::SteadyTime expires_at;    // The lease's end (max() for a permanent one).
  std::string reason;             // Why kNone: no router answered, the router refused...
  std::vector<Pinhole> pinholes;  // Open now, whatever the IPv4 mapping's phase.
  std::vector<std::string> news;  // What this round changed, for the log.
};

class LeaseKeeper {
 public:
  using Discover = std::function<Result<std::unique_ptr<Gateway>>()>;
  // This machine's global IPv6 addresses (text, no port) that the port listens on.
  using Addresses = std::function<std::vector<std::string>()>;

  // Keeps TCP port `internal_port` forwarded, asking for leases of `lease`; `discover`
  // finds the router (DiscoverGateway, or a fake in tests); a pinhole is kept for each
  // of `ipv6_addresses` (none when it is empty).
  LeaseKeeper(uint16_t internal_port, std::chrono::seconds lease, Discover discover,
              Addresses ipv6_addresses = {});

  // One round at `now`: discovers a gateway if there is none, checks that the router
  // still forwards the port and to which external address, and maps it when there is
  // no mapping, the router forgot it, or half the lease has passed; then the same for
  // the pinholes, closing those of addresses this machine no longer has.
  const MappingState& Round(core::SteadyTime now);
  // Asks the router to drop the mapping and close the pinholes (a clean stop).
  void Release();

  const MappingState& state() const { return state_; }

 private:
  void KeepMapping(core::SteadyTime now);
  void Map(core::SteadyTime now);
  void KeepPinholes(core::SteadyTime now);
  // Whether the gateway can still be asked: false when it stopped answering (Lost) or
  // opens no pinholes at all.
  bool OpenPinhole(const std::string& address, core::SteadyTime now);
  std::chrono::seconds PinholeLease() const;
  // The router stopped answering: forget it, so the next round looks for one again.
  void Lost(const Status& why);

  const uint16_t internal_port_;
  const std::chrono::seconds lease_;
  Discover discover_;
  std::unique_ptr<Gateway> gateway_;
  Addresses ipv6_addresses_;
  core::SteadyTime renew_at_;
  std::map<std::string, core::SteadyTime> pinhole_renew_at_;  // By address.
  std::map<std::string, core::SteadyTime> pinhole_retry_at_;  // Refused, by address.
  bool no_pinholes_ = false;  // This gateway opens none (said once, asked no more).
  MappingState state_;
};

}  // namespace inmost::reach
