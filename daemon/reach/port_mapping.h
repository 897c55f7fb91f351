// The home router's port mapping (`port-mapping = auto`): asks the router, by UPnP-IGD
// or NAT-PMP, to forward the daemon's listen port (and by UPnP IGD:2 to open IPv6
// pinholes to it on this machine's global IPv6 addresses), keeps the leases (lease_keeper.h)
// with a round every check interval, and drops the mapping on a clean stop. The
// router's calls block, so each round runs on a thread of its own (core::BackgroundWork)
// and only its result comes back to the io thread. It never dials, listens, or
// decides what the partner is told: it says when the external address changed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control.pb.h"
#include "daemon/core/background_work.h"
#include "daemon/core/clock.h"
#include "daemon/core/timer.h"
#include "daemon/log/logger.h"
#include "daemon/reach/lease_keeper.h"

namespace inmost::reach {

// While no router answers, the searches back off, doubling up to this.
inline constexpr std::chrono::minutes kLongestSearchInterval{10};

struct PortMappingOptions {
  bool enabled = false;                              // port-mapping = auto; a daemon built
                                                     // in code asks for it explicitly.
  std::chrono::milliseconds check_interval{30000};   // Is the mapping still there?
  std::chrono::seconds lease{3600};                  // Asked of the router; renewed at half.
  std::chrono::milliseconds discover_timeout{2000};  // Per protocol, per search.
};

class PortMapping {
 public:
  // `on_change` runs on the io thread whenever external_address() changes. `io`,
  // `clock`, `log` and `background` must outlive the mapping, and the io_context must
  // run until a Stop's release has finished.
  PortMapping(boost::asio::io_context& io, const core::Clock& clock, log::Logger& log,
              core::BackgroundWork& background, PortMappingOptions options,
              std::function<void()> on_change);

  // Starts keeping TCP port `internal_port` forwarded (nothing when disabled), and a
  // pinhole open for each global IPv6 address `ipv6_addresses` gives (called on the
  // worker thread: it must be thread-safe).
  void Start(uint16_t internal_port, LeaseKeeper::Addresses ipv6_addresses = {});
  // Ends the rounds and asks the router to drop the mapping, in the background.
  void Stop();
  // Calls `done` on the io thread once Stop's release has finished (at once when there
  // is none under way).
  void WhenReleased(std::function<void()> done);

  // "IP:PORT" the router forwards to this daemon, while it does.
  std::optional<std::string> external_address() const;
  control::PortMappingStatus Status() const;

 private:
  boost::asio::awaitable<void> Loop();
  // The wait before the next round: the check interval, or, while no router answers,
  // a doubling one up to kLongestSearchInterval.
  std::chrono::milliseconds NextRoundIn();
  // Takes a round's outcome on the io thread: logs its news, reports a change.
  void Apply(const MappingState& state);

  boost::asio::io_context& io_;
  const core::Clock& clock_;
  log::Logger& log_;
  core::BackgroundWork& background_;
  const PortMappingOptions options_;
  std::function<void()> on_change_;
  std::unique_ptr<LeaseKeeper> keeper_;  // Touched by one round's thread at a time.
  core::Timer next_round_;
  MappingState state_;  // The io thread's copy of the last round's outcome.
  std::vector<std::function<void()>> when_released_;
  int misses_ = 0;  // Rounds in a row without a mapping.
  bool started_ = false;
  bool stopped_ = false;
  bool finished_ = false;  // The loop has ended: nothing left to release.
};

}  // namespace inmost::reach
