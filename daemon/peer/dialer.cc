#include "daemon/peer/dialer.h"

#include <algorithm>
#include <utility>

#include "daemon/peer/outbound_attempt.h"
#include "daemon/peer/session_handshake.h"
#include "daemon/peer/socket_io.h"

namespace inmost::peer {

namespace asio = boost::asio;

namespace {
constexpr char kStopped[] = "the peer link is stopped";
constexpr char kLost[] = "another address answered first";
}  // namespace

Dialer::Dialer(asio::io_context& io, const crypto::KeyPair& identity, Link& link,
               HandshakingSockets& handshaking, const core::Clock& clock, log::Logger& logger,
               DialerOptions options)
    : io_(io),
      identity_(identity),
      link_(link),
      handshaking_(handshaking),
      clock_(clock),
      logger_(logger),
      options_(std::move(options)),
      backoff_(options_.backoff_initial, options_.backoff_max),
      wake_(io, clock) {}

void Dialer::DialNow(std::shared_ptr<void> keep_alive) {
  if (stopped_) return;
  next_dial_at_ = clock_.SteadyNow();
  if (running_) {
    Wake();
    return;
  }
  running_ = true;
  asio::co_spawn(io_, Loop(std::move(keep_alive)), RethrowCoroutineException);
}

void Dialer::AfterLoss() {
  next_dial_at_ = clock_.SteadyNow() + backoff_.Next();
  Wake();
}

void Dialer::AfterUp() {
  backoff_.Reset();
  // The round that brought it up tried the direct addresses first: not again at once.
  next_direct_try_ = clock_.SteadyNow() + options_.direct_retry_interval;
  Wake();  // Re-plan: the fresh-session timer starts now.
}

void Dialer::Stop() {
  stopped_ = true;
  wake_.Cancel();
}

asio::awaitable<void> Dialer::Loop(std::shared_ptr<void> keep_alive) {
  while (!stopped_) {
    std::optional<DialTarget> target = link_.DialTargetNow();
    if (!target) break;
    const auto now = clock_.SteadyNow();
    if (const auto fresh_due = link_.FreshSessionDue()) {
      DialTarget direct{target->partner_key, DirectCandidates(target->candidates)};
      const bool try_direct = link_.LiveThroughTor() && !direct.candidates.empty();
      const core::SteadyTime due =
          std::min(*fresh_due, try_direct ? next_direct_try_ : core::SteadyTime::max());
      if (now < due) {
        co_await WaitForWake(due);
        continue;
      }
      if (now >= *fresh_due) {
        Debug("re-handshaking for fresh session keys");
        // A session through Tor would lose to the direct live one (partner_link.h).
        if (!link_.LiveThroughTor() && !direct.candidates.empty()) target = std::move(direct);
        co_await DialRound(std::move(*target), keep_alive);
        // Not replaced (the round failed, or its session lost): back off, not again.
        const auto still_due = link_.FreshSessionDue();
        if (still_due && *still_due <= clock_.SteadyNow()) {
          co_await WaitForWake(clock_.SteadyNow() + backoff_.Next());
        }
        continue;
      }
      Debug("the live session runs through Tor: trying the partner's direct addresses");
      next_direct_try_ = now + options_.direct_retry_interval;
      co_await DialRound(std::move(direct), keep_alive);
      continue;
    }
    if (now < next_dial_at_) {
      co_await WaitForWake(next_dial_at_);
      continue;
    }
    const bool dialed = co_await DialRound(std::move(*target), keep_alive);
    // Not up despite the round (the session was refused or closed at once): back off.
    if (!dialed && !link_.FreshSessionDue()) next_dial_at_ = clock_.SteadyNow() + backoff_.Next();
  }
  running_ = false;
}

asio::awaitable<void> Dialer::WaitForWake(core::SteadyTime deadline) {
  co_await wake_.WaitUntil(deadline);  // Fired or woken: the loop re-plans either way.
}

bool Dialer::StillTargets(const crypto::PublicKey& partner_key) const {
  if (stopped_) return false;
  const auto current = link_.DialTargetNow();
  return current && current->partner_key == partner_key;
}

// One round's attempts, shared by the round and each attempt's coroutine: an attempt
// may outlive its round (a loser winding down), so it holds the link alive itself.
struct Dialer::Race {
  Race(asio::io_context& io, const core::Clock& clock, const crypto::PublicKey& key,
       std::shared_ptr<void> link)
      : progress(io, clock), partner_key(key), keep_alive(std::move(link)) {}

  // Ends every attempt still under way: they fail at their next step.
  void Decide() {
    over = true;
    for (OutboundAttempt* attempt : running) attempt->Abort();
  }

  core::Timer progress;  // The round waits on it; cancelled whenever an attempt ends.
  const crypto::PublicKey partner_key;
  const std::shared_ptr<void> keep_alive;
  std::vector<OutboundAttempt*> running;  // Attempts connecting or handshaking.
  std::vector<std::string> urgent;        // From DialAlsoNow, started next.
  size_t started = 0;
  size_t ended = 0;
  bool over = false;  // A winner was found, or the round gave up.
  std::optional<std::pair<std::string, DialedConnection>> winner;
};

namespace {

// Lists an attempt in its race's running ones for as long as it lives.
class RunningAttempt {
 public:
  RunningAttempt(std::vector<OutboundAttempt*>& running, OutboundAttempt& attempt)
      : running_(running), attempt_(&attempt) {
    running_.push_back(attempt_);
  }
  ~RunningAttempt() { std::erase(running_, attempt_); }
  RunningAttempt(const RunningAttempt&) = delete;
  RunningAttempt& operator=(const RunningAttempt&) = delete;

 private:
  std::vector<OutboundAttempt*>& running_;
  OutboundAttempt* attempt_;
};

}  // namespace

void Dialer::DialAlsoNow(const std::string& candidate, std::shared_ptr<void> keep_alive) {
  if (stopped_) return;
  if (auto race = current_race_.lock(); race && !race->over) {
    race->urgent.push_back(candidate);
    race->progress.Cancel();
    return;
  }
  DialNow(std::move(keep_alive));
}

asio::awaitable<bool> Dialer::DialRound(DialTarget target, std::shared_ptr<void> keep_alive) {
  auto race = std::make_shared<Race>(io_, clock_, target.partner_key, std::move(keep_alive));
  std::vector<std::string> candidates = history_.Pick(target.candidates, clock_.SteadyNow());
  core::SteadyTime next_start = clock_.SteadyNow();
  current_race_ = race;
  while (!race->winner) {
    if (!StillTargets(target.partner_key)) {
      race->Decide();
      co_return false;
    }
    // A candidate that must not wait its turn (DialAlsoNow) starts next, at once.
    for (auto& urgent : std::exchange(race->urgent, {})) {
      const auto started_end = candidates.begin() + static_cast<ptrdiff_t>(race->started);
      if (std::find(candidates.begin(), started_end, urgent) != started_end) continue;
      std::erase(candidates, urgent);
      candidates.insert(candidates.begin() + static_cast<ptrdiff_t>(race->started), urgent);
      next_start = clock_.SteadyNow();
    }
    const bool all_started = race->started == candidates.size();
    const bool none_running = race->ended == race->started;
    if (all_started && none_running) co_return false;
    // RFC 8305, 5: the next one after the attempt delay, or at once if all failed.
    if (!all_started && (none_running || clock_.SteadyNow() >= next_start)) {
      asio::co_spawn(io_, RaceOne(race, candidates[race->started++]), RethrowCoroutineException);
      next_start = clock_.SteadyNow() + kAttemptDelay;
      continue;
    }
    const core::SteadyTime wake_at = all_started ? core::SteadyTime::max() : next_start;
    co_await race->progress.WaitUntil(wake_at);
  }
  if (!StillTargets(target.partner_key)) co_return false;  // Stopped or unpaired meanwhile.
  link_.OnDialed(race->winner->first, std::move(race->winner->second));
  co_return true;
}

asio::awaitable<void> Dialer::RaceOne(std::shared_ptr<Race> race, std::string candidate) {
  const core::SteadyTime started = clock_.SteadyNow();
  const int64_t started_unix_ms = clock_.NowUnixMs();
  auto connection = co_await Handshake(candidate, race->partner_key, *race);
  ++race->ended;
  if (!race->over) {
    if (connection.ok()) {
      history_.Succeeded(candidate);
      race->winner.emplace(candidate, std::move(*connection));
      race->Decide();
    } else {
      history_.Failed(candidate, started, connection.status().message(), started_unix_ms);
      Debug("dialing the partner at " + candidate + " failed: " + connection.status().message());
    }
  }
  // A loser that completed too is dropped here: its socket closes, so the partner
  // never confirms that session.
  race->progress.Cancel();
}

asio::awaitable<Result<DialedConnection>> Dialer::Handshake(std::string candidate,
                                                            crypto::PublicKey partner_key,
                                                            Race& race) {
  auto route = link_.RouteTo(candidate);
  if (!route.ok()) co_return route.status();
  OutboundAttempt attempt(io_, handshaking_, clock_, route->timeout);
  const RunningAttempt running(race.running, attempt);
  auto timed_out = [&] {
    return Unavailable("no answer within " + std::to_string(route->timeout.count()) + " ms");
  };

  Status connected = co_await attempt.Connect(candidate, route->proxy);
  if (stopped_ || race.over) co_return Unavailable(stopped_ ? kStopped : kLost);
  if (!connected.ok()) co_return attempt.timed_out() ? timed_out() : connected;

  // -> e, es, ss (in the hello)
  auto keys = HelloKeysFor(partner_key);
  if (!keys.ok()) co_return keys.status();
  auto initiation =
      StartSessionHandshake(identity_, partner_key, **keys, stamps_.Next(clock_.NowUnixMs()));
  if (!initiation.ok()) co_return initiation.status();
  Status sent = co_await WriteFrame(attempt.socket(), std::move(initiation->hello));
  if (stopped_ || race.over) co_return Unavailable(stopped_ ? kStopped : kLost);
  if (!sent.ok()) co_return attempt.timed_out() ? timed_out() : sent;

  // <- e, ee, se
  wire::FrameDecoder decoder;
  auto message2 = co_await ReadFrame(attempt.socket(), decoder);
  if (stopped_ || race.over) co_return Unavailable(stopped_ ? kStopped : kLost);
  if (!message2.ok()) co_return attempt.timed_out() ? timed_out() : message2.status();
  auto transport = FinishSessionHandshake(initiation->state, *message2);
  if (!transport.ok()) co_return transport.status();
  if (!StillTargets(partner_key)) {
    co_return FailedPrecondition("the partner changed during the handshake");
  }
  co_return DialedConnection{attempt.Release(), std::move(decoder), std::move(*transport)};
}

Result<const HelloKeys*> Dialer::HelloKeysFor(const crypto::PublicKey& partner_key) {
  if (!hello_keys_ || hello_keys_->first != partner_key) {
    hello_keys_.reset();
    auto keys = HelloKeys::Derive(identity_, partner_key);
    if (!keys.ok()) return keys.status();
    hello_keys_.emplace(partner_key, std::move(*keys));
  }
  return &hello_keys_->second;
}

}  // namespace inmost::peer
