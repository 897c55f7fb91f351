// The dialer: the one place that turns the partner's candidate addresses into one
// session. It dials the candidates as RFC 8305 does (section 5, "Connection Attempt
// Delay"): the first at once, each next one kAttemptDelay later or as soon as every
// earlier one failed, all of them racing; the first connection whose Noise KK handshake
// completes goes to the link and the others are closed. It waits out an exponential
// backoff (backoff.h) between failed rounds. It must never dial anyone but the
// partner, never hand the link two connections from one round, never keep a connection
// the link did not ask for, and never log keys.
//
// Where candidates come from is the link's business: the partner's addresses, direct
// ones before onion ones (route.h), the one that worked last first in its group.
//
// An address that has failed for kStaleAfter is tried only every kStaleRetry, unless
// every address is (candidate_history.h).
//
// When it dials (its whole schedule):
//   - no live session: at once after DialNow, else when the backoff after the last
//     failed round or the last loss (AfterLoss) has passed;
//   - a live session: when the link's FreshSessionDue comes (periodic fresh keys),
//     retrying after a backoff if that round fails;
//   - a live session through Tor: the partner's direct addresses alone, every
//     direct_retry_interval and at once after TryDirectNow, so the link moves to a
//     direct path as soon as one works (the link prefers it, partner_link.h).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/timer.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/log/logger.h"
#include "daemon/noise/handshake_state.h"
#include "daemon/peer/asio.h"
#include "daemon/peer/backoff.h"
#include "daemon/peer/candidate_history.h"
#include "daemon/peer/route.h"
#include "daemon/peer/session_hello.h"
#include "daemon/peer/tracked_socket.h"
#include "daemon/wire/frame.h"
#include "inmost/status.h"

namespace inmost::peer {

// Whom to dial, and where.
struct DialTarget {
  crypto::PublicKey partner_key{};      // Every candidate must answer as this key.
  std::vector<std::string> candidates;  // "host:port", in the order to try them.
};

// A dialed connection whose KK handshake is complete: the makings of one initiator Session.
struct DialedConnection {
  boost::asio::ip::tcp::socket socket;
  wire::FrameDecoder decoder;  // May already hold bytes that followed message 2.
  noise::TransportKeys keys;
};

// RFC 8305, section 5: how long one attempt runs alone before the next one starts.
inline constexpr std::chrono::milliseconds kAttemptDelay{250};

struct DialerOptions {
  std::chrono::milliseconds backoff_initial{250};  // Between failed rounds: doubles up
  std::chrono::milliseconds backoff_max{30000};    // to backoff_max, +-25% jitter.
  // While the live session runs through Tor: how often to try the direct addresses.
  std::chrono::milliseconds direct_retry_interval{std::chrono::minutes(1)};
};

class Dialer {
 public:
  // What the dialer asks of the link. Called on the link's io_context between the
  // dialer's awaits, never after Stop.
  class Link {
   public:
    virtual ~Link() = default;
    // Whom to dial now, or nullopt when nobody (unpaired): the dialer then goes idle
    // until the next DialNow.
    virtual std::optional<DialTarget> DialTargetNow() const = 0;
    // nullopt while no session is live; otherwise when the live one wants replacing by
    // a fresh one (time_point::max(): never, until woken).
    virtual std::optional<core::SteadyTime> FreshSessionDue() const = 0;
    // Whether the live session runs through Tor (false while none is live).
    virtual bool LiveThroughTor() const = 0;
    // One session out: `connection` came from `candidate` and answered as the target.
    virtual void OnDialed(const std::string& candidate, DialedConnection connection) = 0;
    // How to reach `candidate` (directly or through which proxy, and how long its
    // connect and handshake may take), or why not now (route.h).
    virtual Result<Route> RouteTo(const std::string& candidate) const = 0;
  };

  // `identity`, `link`, `handshaking`, `clock` and `logger` must outlive the dialer.
  Dialer(boost::asio::io_context& io, const crypto::KeyPair& identity, Link& link,
         HandshakingSockets& handshaking, const core::Clock& clock, log::Logger& logger,
         DialerOptions options);
  Dialer(const Dialer&) = delete;
  Dialer& operator=(const Dialer&) = delete;

  // Dial at once (a new or changed target); starts the dial loop if it is idle.
  // `keep_alive` holds the link, and with it this dialer, while the loop runs.
  void DialNow(std::shared_ptr<void> keep_alive);
  // As DialNow, and when a round is under way, `candidate` joins it at once rather
  // than waiting for the round to fail (the partner was just seen there: a LAN
  // beacon). The link lists it among the partner's addresses first.
  void DialAlsoNow(const std::string& candidate, std::shared_ptr<void> keep_alive);
  // The live session was lost: the next round waits out the next backoff delay.
  void AfterLoss();
  // A session became the live one: the backoff starts over, and the loop re-plans.
  void AfterUp();
  // The partner told a direct address we did not know: if the live session runs
  // through Tor, try the direct addresses now rather than at the next interval.
  void TryDirectNow() {
    next_direct_try_ = {};
    Wake();
  }
  // Re-plan now: the target or the live session changed.
  void Wake() { wake_.Cancel(); }
  // No more rounds, link calls or logging; attempts under way fail as "stopped".
  void Stop();
  // The last failure of each candidate that has not worked since (for status).
  std::vector<DialFailureReport> Failures() const { return history_.Failures(); }

 private:
  struct Race;  // One round's attempts (dialer.cc).

  boost::asio::awaitable<void> Loop(std::shared_ptr<void> keep_alive);
  // One round: the candidates raced (see the top), until one completes or all failed.
  // True when one completed and went to the link.
  boost::asio::awaitable<bool> DialRound(DialTarget target, std::shared_ptr<void> keep_alive);
  // One attempt of `race`: its outcome is recorded there, and the round woken.
  boost::asio::awaitable<void> RaceOne(std::shared_ptr<Race> race, std::string candidate);
  boost::asio::awaitable<Result<DialedConnection>> Handshake(std::string candidate,
                                                             crypto::PublicKey partner_key,
                                                             Race& race);
  // Sleeps until `deadline` or Wake, whichever is first.
  boost::asio::awaitable<void> WaitForWake(core::SteadyTime deadline);
  bool StillTargets(const crypto::PublicKey& partner_key) const;
  // The hello keys for `partner_key`, derived at its first dial (one X25519) and kept.
  Result<const HelloKeys*> HelloKeysFor(const crypto::PublicKey& partner_key);
  void Debug(const std::string& line) {
    if (!stopped_) logger_.Debug("peer: " + line);
  }

  boost::asio::io_context& io_;
  const crypto::KeyPair& identity_;
  Link& link_;
  HandshakingSockets& handshaking_;
  const core::Clock& clock_;
  log::Logger& logger_;
  const DialerOptions options_;
  Backoff backoff_;
  CandidateHistory history_;
  std::weak_ptr<Race> current_race_;  // The round under way, if any.  // Addresses failing for long
                                      // are tried less often.
  core::Timer wake_;                  // The loop's sleep until its next step; cancelled to wake it.
  bool running_ = false;
  core::SteadyTime next_dial_at_{};
  core::SteadyTime next_direct_try_{};  // While the live session runs through Tor.
  std::optional<std::pair<crypto::PublicKey, HelloKeys>> hello_keys_;
  HelloStamps stamps_;  // Every hello we send has a newer stamp than the one before.
  bool stopped_ = false;
};

}  // namespace inmost::peer
