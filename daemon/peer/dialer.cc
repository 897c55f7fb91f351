#include "daemon/peer/dialer.h"

#include <utility>

#include "daemon/peer/outbound_attempt.h"
#include "daemon/peer/session_handshake.h"
#include "daemon/peer/socket_io.h"

namespace inmost::peer {

namespace asio = boost::asio;

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
  Wake();  // Re-plan: the fresh-session timer starts now.
}

void Dialer::Stop() {
  stopped_ = true;
  wake_.Cancel();
}

asio::awaitable<void> Dialer::Loop(std::shared_ptr<void> /*keep_alive*/) {
  while (!stopped_) {
    std::optional<DialTarget> target = link_.DialTargetNow();
    if (!target) break;
    const auto now = clock_.SteadyNow();
    if (const auto fresh_due = link_.FreshSessionDue()) {
      if (now < *fresh_due) {
        co_await WaitForWake(*fresh_due);
        continue;
      }
      Debug("re-handshaking for fresh session keys");
      if (!co_await DialRound(std::move(*target))) {
        co_await WaitForWake(clock_.SteadyNow() + backoff_.Next());
      }
      continue;
    }
    if (now < next_dial_at_) {
      co_await WaitForWake(next_dial_at_);
      continue;
    }
    const bool dialed = co_await DialRound(std::move(*target));
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

asio::awaitable<bool> Dialer::DialRound(DialTarget target) {
  for (const auto& candidate : target.candidates) {
    if (!StillTargets(target.partner_key)) co_return false;
    auto connection = co_await Handshake(candidate, target.partner_key);
    if (connection.ok()) {
      link_.OnDialed(candidate, std::move(*connection));
      co_return true;
    }
    Debug("dialing the partner at " + candidate + " failed: " + connection.status().message());
  }
  co_return false;
}

asio::awaitable<Result<DialedConnection>> Dialer::Handshake(std::string candidate,
                                                            crypto::PublicKey partner_key) {
  OutboundAttempt attempt(io_, handshaking_, clock_, options_.handshake_timeout);
  auto timed_out = [&] {
    return Unavailable("no answer within " + std::to_string(options_.handshake_timeout.count()) +
                       " ms");
  };

  Status connected = co_await attempt.Connect(candidate, options_.proxy);
  if (stopped_) co_return Unavailable("the peer link is stopped");
  if (!connected.ok()) co_return attempt.timed_out() ? timed_out() : connected;

  // -> e, es, ss (in the hello)
  auto initiation = StartSessionHandshake(identity_, partner_key);
  if (!initiation.ok()) co_return initiation.status();
  Status sent = co_await WriteFrame(attempt.socket(), std::move(initiation->hello));
  if (stopped_) co_return Unavailable("the peer link is stopped");
  if (!sent.ok()) co_return attempt.timed_out() ? timed_out() : sent;

  // <- e, ee, se
  wire::FrameDecoder decoder;
  auto message2 = co_await ReadFrame(attempt.socket(), decoder);
  if (stopped_) co_return Unavailable("the peer link is stopped");
  if (!message2.ok()) co_return attempt.timed_out() ? timed_out() : message2.status();
  auto keys = FinishSessionHandshake(initiation->state, *message2);
  if (!keys.ok()) co_return keys.status();
  if (!StillTargets(partner_key)) {
    co_return FailedPrecondition("the partner changed during the handshake");
  }
  co_return DialedConnection{attempt.Release(), std::move(decoder), std::move(*keys)};
}

}  // namespace inmost::peer
