// What keeps this daemon's port forwarded on the home router: one round, run again
// and again, finds a gateway, maps the port, renews the lease at half-life, and maps
// it again when the router forgot it (a restart) or changed its external address. It
// blocks in the gateway's calls, so it runs on the port mapping's worker thread
// (port_mapping.h); time comes in as an argument, so unit tests drive it with a fake
// gateway and no clock. It must never log: what happened comes back as `news`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/reach/gateway.h"

namespace inmost::reach {

// Where the mapping stands after a round.
struct MappingState {
  enum class Phase { kSearching, kMapped, kNone };
  Phase phase = Phase::kSearching;
  std::optional<PortMap> map;     // Set while kMapped.
  core::SteadyTime expires_at;    // The lease's end (max() for a permanent one).
  std::string reason;             // Why kNone: no router answered, the router refused...
  std::vector<std::string> news;  // What this round changed, for the log.
};

class LeaseKeeper {
 public:
  using Discover = std::function<Result<std::unique_ptr<Gateway>>()>;

  // Keeps TCP port `internal_port` forwarded, asking for leases of `lease`; `discover`
  // finds the router (DiscoverGateway, or a fake in tests).
  LeaseKeeper(uint16_t internal_port, std::chrono::seconds lease, Discover discover);

  // One round at `now`: discovers a gateway if there is none, checks that the router
  // still forwards the port and to which external address, and maps it when there is
  // no mapping, the router forgot it, or half the lease has passed.
  const MappingState& Round(core::SteadyTime now);
  // Asks the router to drop the mapping, if there is one (a clean stop).
  void Release();

  const MappingState& state() const { return state_; }

 private:
  void Map(core::SteadyTime now);
  // The router stopped answering: forget it, so the next round looks for one again.
  void Lost(const Status& why);

  const uint16_t internal_port_;
  const std::chrono::seconds lease_;
  Discover discover_;
  std::unique_ptr<Gateway> gateway_;
  core::SteadyTime renew_at_;
  MappingState state_;
};

}  // namespace inmost::reach
