#include "daemon/peer/partner_link.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "daemon/noise/limits.h"
#include "daemon/peer/address.h"
#include "daemon/peer/backoff.h"
#include "daemon/peer/handshake_mac.h"
#include "daemon/peer/hello.h"
#include "daemon/peer/pairing.h"
#include "daemon/peer/rate_limiter.h"
#include "daemon/peer/session.h"
#include "daemon/peer/session_handshake.h"
#include "daemon/peer/socket_io.h"

namespace inmost::peer {

namespace asio = boost::asio;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

// After a failed accept (out of file descriptors, say), wait this long before the next
// one instead of spinning.
constexpr std::chrono::milliseconds kAcceptErrorPause{100};
constexpr int64_t kMillisPerSecond = 1000;

crypto::KeyPair CopyKeyPair(const crypto::KeyPair& key_pair) {
  crypto::KeyPair copy;
  copy.private_key = crypto::SecretBytes::CopyOf(key_pair.private_key.span());
  copy.public_key = key_pair.public_key;
  return copy;
}

std::string Millis(std::chrono::milliseconds duration) {
  return std::to_string(duration.count()) + " ms";
}

// Decrements a counter when a coroutine leaves its scope, however it leaves. The
// increment happens before the coroutine is spawned, so a burst of accepts is counted
// before any of their coroutines has run.
class DecrementOnExit {
 public:
  explicit DecrementOnExit(size_t& counter) : counter_(counter) {}
  ~DecrementOnExit() { --counter_; }
  DecrementOnExit(const DecrementOnExit&) = delete;
  DecrementOnExit& operator=(const DecrementOnExit&) = delete;

 private:
  size_t& counter_;
};

// Registers a socket that is still handshaking, so Stop can close it.
class TrackedSocket {
 public:
  TrackedSocket(std::set<tcp::socket*>& registry, tcp::socket& socket)
      : registry_(registry), socket_(&socket) {
    registry_.insert(socket_);
  }
  ~TrackedSocket() { Release(); }
  TrackedSocket(const TrackedSocket&) = delete;
  TrackedSocket& operator=(const TrackedSocket&) = delete;
  // Before the socket moves into a Session.
  void Release() {
    if (socket_ != nullptr) registry_.erase(socket_);
    socket_ = nullptr;
  }

 private:
  std::set<tcp::socket*>& registry_;
  tcp::socket* socket_;
};

}  // namespace

class PartnerLink::Impl final : public Session::Observer,
                                public std::enable_shared_from_this<PartnerLink::Impl> {
 public:
  // What Join needs from the invite, owned by the coroutine.
  struct JoinRequest {
    crypto::PublicKey inviter_key{};
    crypto::SecretBytes secret;
    std::vector<std::string> addresses;
    int64_t expires_at_unix = 0;
    std::vector<std::string> my_addresses;
  };

  Impl(asio::io_context& io, const crypto::KeyPair& identity, core::LinkListener& listener,
       const core::Clock& clock, log::Logger& logger, LinkOptions options)
      : io_(io),
        identity_(CopyKeyPair(identity)),
        own_mac1_key_(Mac1KeyFor(identity.public_key)),
        listener_(listener),
        clock_(clock),
        logger_(logger),
        options_(options),
        acceptor_(io),
        rate_limiter_(options.hello_rate_per_second, options.hello_burst),
        backoff_(options.backoff_initial, options.backoff_max),
        dial_signal_(io) {}

  Status Listen(const std::string& host_port);
  std::string listen_address() const;
  void SetAdvertisedAddresses(std::vector<std::string> addresses) {
    advertised_ = SanitizeAddresses(addresses);
    if (advertised_.empty() || !IsUp()) return;  // Told at the next link up.
    PeerMessage message;
    for (const auto& address : advertised_) message.mutable_addresses()->add_addresses(address);
    live_->Send(message);
  }
  void SetPartner(std::optional<core::Partner> partner);
  void SetInvite(std::optional<PendingInvite> invite) {
    if (stopped_) return;
    invite_ = std::move(invite);
    ++invite_generation_;
  }
  static asio::awaitable<Result<core::Partner>> Join(std::shared_ptr<Impl> self,
                                                     JoinRequest request);
  bool SendToPartner(const PeerMessage& message);
  bool IsUp() const { return !stopped_ && live_ && live_->open() && !live_->retired(); }
  void Stop();

  std::optional<SessionSummary> live_session() const;
  size_t session_count() const;
  size_t pending_handshakes() const;

  // Session::Observer
  void OnSessionConfirmed(Session& session) override;
  void OnSessionMessage(Session& session, const PeerMessage& message) override;
  void OnSessionClosed(Session& session, const std::string& reason) override;
  void OnSessionDrained(Session& session) override {
    if (!stopped_ && live_.get() == &session) listener_.OnLinkWritable();
  }
  size_t QueuedBytes() const { return IsUp() ? live_->queued_bytes() : 0; }

 private:
  // Outcome of one pairing attempt at one address.
  struct JoinAttempt {
    Result<std::vector<std::string>> welcome_addresses;
    bool timed_out = false;
  };

  asio::awaitable<void> AcceptLoop(std::shared_ptr<Impl> self);
  asio::awaitable<void> HandleInbound(std::shared_ptr<Impl> keep_alive, tcp::socket socket);
  asio::awaitable<void> RespondSession(tcp::socket& socket, wire::FrameDecoder& decoder,
                                       Deadline& deadline, TrackedSocket& tracked,
                                       std::string remote, crypto::Bytes message1);
  asio::awaitable<void> RespondPairing(tcp::socket& socket, wire::FrameDecoder& decoder,
                                       Deadline& deadline, std::string remote,
                                       crypto::Bytes message1);
  asio::awaitable<void> DialLoop(std::shared_ptr<Impl> keep_alive);
  asio::awaitable<bool> DialOnce();
  // Moves `address` to the front of the partner's addresses and has it saved.
  void PreferAddress(const std::string& address);
  asio::awaitable<Status> InitiateSession(std::string address, crypto::PublicKey partner_key);
  asio::awaitable<JoinAttempt> JoinAt(std::string address, const JoinRequest& request);
  // Sleeps until `deadline` or WakeDialer, whichever is first.
  asio::awaitable<void> WaitForWake(SteadyClock::time_point deadline);
  void WakeDialer() { dial_signal_.cancel(); }

  // Makes `session` the live one if it wins against the current one (see the header).
  void Adopt(const std::shared_ptr<Session>& session);
  // Whether `candidate`, confirmed after `current`, should replace it.
  bool Prefer(const Session& candidate, const Session& current) const;
  std::shared_ptr<Session> NewSession(tcp::socket socket, wire::FrameDecoder decoder,
                                      noise::TransportKeys keys, Session::Role role,
                                      const crypto::PublicKey& initiator_key);
  std::shared_ptr<Session> Find(const Session& session) const;
  void CloseAllSessions(const std::string& reason);
  bool HasUnconfirmedSession() const;
  void ReportDown(const std::string& reason);
  bool InviteOpen() const {
    return invite_.has_value() && clock_.NowUnixMs() / kMillisPerSecond < invite_->expires_at_unix;
  }
  // What to tell the partner about where we listen; `local` is the connection's own end.
  std::vector<std::string> AdvertisedAddresses(const tcp::endpoint& local) const;
  SessionOptions SessionOptionsFromLink() const;

  // Logging stops with the link: the logger may be gone after Stop.
  void Debug(const std::string& line) {
    if (!stopped_) logger_.Debug("peer: " + line);
  }
  void Info(const std::string& line) {
    if (!stopped_) logger_.Info("peer: " + line);
  }
  void Warning(const std::string& line) {
    if (!stopped_) logger_.Warning("peer: " + line);
  }
  // A refused handshake, logged at most once a second (with a count of the ones
  // left out), so that a flood of them cannot flood the log.
  void WarnRefused(const std::string& line) {
    auto now = std::chrono::steady_clock::now();
    if (now < next_refusal_log_) {
      ++refusals_not_logged_;
      return;
    }
    next_refusal_log_ = now + std::chrono::seconds(1);
    std::string more = refusals_not_logged_ == 0 ? ""
                                                 : " (and " + std::to_string(refusals_not_logged_) +
                                                       " more refused handshakes not logged)";
    refusals_not_logged_ = 0;
    Warning(line + more);
  }

  asio::io_context& io_;
  const crypto::KeyPair identity_;
  const Mac1Key own_mac1_key_;
  core::LinkListener& listener_;
  const core::Clock& clock_;
  log::Logger& logger_;
  const LinkOptions options_;
  std::chrono::steady_clock::time_point next_refusal_log_{};
  uint64_t refusals_not_logged_ = 0;

  tcp::acceptor acceptor_;
  std::vector<std::string> advertised_;
  std::optional<core::Partner> partner_;
  std::optional<PendingInvite> invite_;
  uint64_t invite_generation_ = 0;  // Bumped whenever the invite changes or is used.

  std::vector<std::shared_ptr<Session>> sessions_;  // Authenticated partner sessions.
  std::shared_ptr<Session> live_;
  // Why the live session ended, while OnLinkDown waits for a responder session that is
  // about to be confirmed (see OnSessionClosed).
  std::optional<std::string> down_pending_;
  uint64_t next_session_id_ = 1;

  std::set<tcp::socket*> handshaking_;  // Sockets not yet in a Session, for Stop.
  size_t pending_inbound_ = 0;          // Inbound connections still handshaking.
  HelloRateLimiter rate_limiter_;

  Backoff backoff_;
  asio::steady_timer dial_signal_;  // Timer as signal: cancelled to wake the dial loop.
  bool dial_loop_running_ = false;
  SteadyClock::time_point next_dial_at_{};

  bool stopped_ = false;
};

// ---------------------------------------------------------------------------------------
// Listening and inbound connections.

Status PartnerLink::Impl::Listen(const std::string& host_port) {
  if (stopped_) return FailedPrecondition("the peer link is stopped");
  if (acceptor_.is_open()) return FailedPrecondition("the peer link is already listening");
  auto parsed = ParseHostPort(host_port, /*allow_port_zero=*/true);
  if (!parsed.ok()) return parsed.status();

  boost::system::error_code ec;
  tcp::endpoint endpoint;
  if (auto literal = ParseIpLiteral(parsed->host)) {
    endpoint = tcp::endpoint(*literal, parsed->port);
  } else {
    // A name: resolved once, synchronously, at startup.
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(parsed->host, std::to_string(parsed->port), ec);
    if (ec || results.empty()) {
      return IoError("cannot resolve " + parsed->host + " to listen on it: " + ec.message());
    }
    endpoint = results.begin()->endpoint();
  }

  auto fail = [&](const std::string& step) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return IoError("cannot listen on " + host_port + ": " + step + ": " + ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("reuse_address");
  if (endpoint.address().is_v6()) {
    // "[::]" also takes IPv4 connections; systems that refuse keep IPv6 only.
    boost::system::error_code ignored;
    acceptor_.set_option(asio::ip::v6_only(false), ignored);
  }
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");

  asio::co_spawn(io_, AcceptLoop(shared_from_this()), RethrowCoroutineException);
  Info("listening on " + listen_address());
  return Status::Ok();
}

std::string PartnerLink::Impl::listen_address() const {
  if (!acceptor_.is_open()) return "";
  boost::system::error_code ec;
  const auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? "" : FormatEndpoint(endpoint);
}

asio::awaitable<void> PartnerLink::Impl::AcceptLoop(std::shared_ptr<Impl> self) {
  while (!stopped_ && acceptor_.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      Warning("accept failed: " + ec.message());
      asio::steady_timer pause(io_, kAcceptErrorPause);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (pending_handshakes() >= options_.max_pending_handshakes) {
      Debug("dropped a connection: too many unauthenticated connections");
      CloseQuietly(socket);
      continue;
    }
    ++pending_inbound_;  // HandleInbound decrements.
    asio::co_spawn(io_, HandleInbound(self, std::move(socket)), RethrowCoroutineException);
  }
}

asio::awaitable<void> PartnerLink::Impl::HandleInbound(std::shared_ptr<Impl> /*keep_alive*/,
                                                       tcp::socket socket) {
  DecrementOnExit pending(pending_inbound_);
  TrackedSocket tracked(handshaking_, socket);
  Deadline deadline(socket.get_executor(), options_.handshake_timeout,
                    [&socket] { CloseQuietly(socket); });
  boost::system::error_code ec;
  const tcp::endpoint remote_endpoint = socket.remote_endpoint(ec);
  if (ec) co_return;
  const std::string remote = FormatEndpoint(remote_endpoint);

  wire::FrameDecoder decoder;
  auto frame = co_await ReadFrame(socket, decoder);
  if (stopped_) co_return;
  if (!frame.ok()) {
    Debug("dropped a connection from " + remote +
          " before its hello: " + (deadline.expired() ? "timed out" : frame.status().message()));
    co_return;
  }
  // mac1 first: a stranger who does not know our public key costs us no DH.
  auto hello = ParseHello(*frame, own_mac1_key_);
  if (!hello.ok()) {
    Debug("dropped a hello from " + remote + ": " + hello.status().message());
    co_return;
  }
  if (!rate_limiter_.Allow(remote_endpoint.address(), SteadyClock::now())) {
    Debug("dropped a hello from " + remote + ": too many handshakes from that address");
    co_return;
  }
  if (hello->type == HelloType::kSession) {
    co_await RespondSession(socket, decoder, deadline, tracked, remote, std::move(hello->message));
  } else {
    co_await RespondPairing(socket, decoder, deadline, remote, std::move(hello->message));
  }
}

asio::awaitable<void> PartnerLink::Impl::RespondSession(tcp::socket& socket,
                                                        wire::FrameDecoder& decoder,
                                                        Deadline& deadline, TrackedSocket& tracked,
                                                        std::string remote,
                                                        crypto::Bytes message1) {
  if (!partner_) {
    Debug("refused a session from " + remote + ": not paired");
    co_return;
  }
  const crypto::PublicKey partner_key = partner_->static_key;
  auto response = RespondToSessionHandshake(identity_, partner_key, message1);
  if (!response.ok()) {
    WarnRefused(response.status().message() + " (from " + remote + ")");
    co_return;
  }
  Status sent = co_await WriteFrame(socket, std::move(response->message2));
  if (stopped_) co_return;
  if (!sent.ok()) {
    Debug("session handshake from " + remote + " failed: " + sent.message());
    co_return;
  }
  if (!partner_ || partner_->static_key != partner_key) co_return;  // Unpaired meanwhile.
  deadline.Disarm();
  tracked.Release();
  auto session = NewSession(std::move(socket), std::move(decoder), std::move(response->keys),
                            Session::Role::kResponder, partner_key);
  Debug("session " + std::to_string(session->id()) + " from " + remote +
        " awaits key confirmation");
}

asio::awaitable<void> PartnerLink::Impl::RespondPairing(tcp::socket& socket,
                                                        wire::FrameDecoder& decoder,
                                                        Deadline& deadline, std::string remote,
                                                        crypto::Bytes message1) {
  if (partner_) {
    Debug("refused a pairing from " + remote + ": already paired");
    co_return;
  }
  if (!InviteOpen()) {
    Debug("refused a pairing from " + remote + ": no open invite");
    co_return;
  }
  const uint64_t generation = invite_generation_;
  const crypto::SecretBytes psk = crypto::SecretBytes::CopyOf(invite_->secret.span());
  boost::system::error_code ec;
  const tcp::endpoint local = socket.local_endpoint(ec);

  // Runs between two awaits, so nothing else can pair in the middle of it.
  PairingDecision decide =
      [this, generation, local](const core::Partner& partner) -> Result<std::vector<std::string>> {
    if (stopped_ || partner_ || !InviteOpen() || invite_generation_ != generation) {
      return PermissionDenied("the invite was used, withdrawn or expired meanwhile");
    }
    Status durable = listener_.OnPaired(partner);
    if (!durable.ok()) return durable;
    invite_.reset();  // Works once.
    ++invite_generation_;
    Info("paired with a new partner (inviter side)");
    SetPartner(partner);
    return AdvertisedAddresses(local);
  };
  Status result = co_await RunInviterConversation(socket, decoder, identity_, psk,
                                                  std::move(message1), std::move(decide));
  if (stopped_) co_return;
  if (!result.ok()) {
    Info("pairing from " + remote +
         " failed: " + (deadline.expired() ? "timed out" : result.message()));
    co_return;
  }
  // Let the joiner read pair_welcome and hang up first, so our close cannot reset the
  // connection before the welcome arrives. Bounded by the handshake deadline.
  socket.shutdown(tcp::socket::shutdown_send, ec);
  std::array<uint8_t, 64> drain;
  while (!ec) {
    co_await socket.async_read_some(asio::buffer(drain),
                                    asio::redirect_error(asio::use_awaitable, ec));
  }
}

// ---------------------------------------------------------------------------------------
// Dialing the partner.

void PartnerLink::Impl::SetPartner(std::optional<core::Partner> partner) {
  if (stopped_) return;
  if (!partner) {
    if (partner_) Info("unpaired: closing the link");
    partner_.reset();
    CloseAllSessions("unpaired");
    WakeDialer();
    return;
  }
  partner->addresses = SanitizeAddresses(partner->addresses);
  if (partner_ && partner_->static_key != partner->static_key) {
    CloseAllSessions("the partner changed");
  }
  partner_ = std::move(partner);
  next_dial_at_ = SteadyClock::now();
  if (dial_loop_running_) {
    WakeDialer();
    return;
  }
  dial_loop_running_ = true;
  asio::co_spawn(io_, DialLoop(shared_from_this()), RethrowCoroutineException);
}

asio::awaitable<void> PartnerLink::Impl::DialLoop(std::shared_ptr<Impl> /*keep_alive*/) {
  while (!stopped_ && partner_) {
    const auto now = SteadyClock::now();
    if (IsUp()) {
      // Only the lower key re-handshakes, so the two sides never race to do it.
      if (!(identity_.public_key < partner_->static_key)) {
        co_await WaitForWake(SteadyClock::time_point::max());
        continue;
      }
      const auto due = live_->established_at() + options_.rehandshake_after;
      if (now < due) {
        co_await WaitForWake(due);
        continue;
      }
      Debug("re-handshaking for fresh session keys");
      if (!co_await DialOnce()) co_await WaitForWake(SteadyClock::now() + backoff_.Next());
      continue;
    }
    if (now < next_dial_at_) {
      co_await WaitForWake(next_dial_at_);
      continue;
    }
    const bool dialed = co_await DialOnce();
    if (!dialed && !IsUp()) next_dial_at_ = SteadyClock::now() + backoff_.Next();
  }
  dial_loop_running_ = false;
}

asio::awaitable<void> PartnerLink::Impl::WaitForWake(SteadyClock::time_point deadline) {
  boost::system::error_code ec;
  dial_signal_.expires_at(deadline);
  co_await dial_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<bool> PartnerLink::Impl::DialOnce() {
  if (!partner_) co_return false;
  const core::Partner partner = *partner_;
  for (const auto& address : partner.addresses) {
    if (stopped_ || !partner_ || partner_->static_key != partner.static_key) co_return false;
    Status status = co_await InitiateSession(address, partner.static_key);
    if (status.ok()) {
      PreferAddress(address);
      co_return true;
    }
    Debug("dialing the partner at " + address + " failed: " + status.message());
  }
  co_return false;
}

void PartnerLink::Impl::PreferAddress(const std::string& address) {
  if (!partner_ || partner_->addresses.empty() || partner_->addresses.front() == address) return;
  auto& addresses = partner_->addresses;
  auto found = std::find(addresses.begin(), addresses.end(), address);
  if (found == addresses.end()) return;
  // The address that worked last is tried first next time (a laptop that moved
  // between home and away reaches the partner at once).
  std::rotate(addresses.begin(), found, found + 1);
  listener_.OnPartnerAddresses(addresses);
}

asio::awaitable<Status> PartnerLink::Impl::InitiateSession(std::string address,
                                                           crypto::PublicKey partner_key) {
  tcp::socket socket(io_);
  tcp::resolver resolver(io_);
  TrackedSocket tracked(handshaking_, socket);
  Deadline deadline(io_.get_executor(), options_.handshake_timeout, [&socket, &resolver] {
    resolver.cancel();
    CloseQuietly(socket);
  });
  auto timed_out = [&] {
    return Unavailable("no answer within " + Millis(options_.handshake_timeout));
  };

  Status connected = co_await Connect(socket, resolver, address, options_.proxy);
  if (stopped_) co_return Unavailable("the peer link is stopped");
  if (!connected.ok()) co_return deadline.expired() ? timed_out() : connected;

  // -> e, es, ss (in the hello)
  auto initiation = StartSessionHandshake(identity_, partner_key);
  if (!initiation.ok()) co_return initiation.status();
  Status sent = co_await WriteFrame(socket, std::move(initiation->hello));
  if (stopped_) co_return Unavailable("the peer link is stopped");
  if (!sent.ok()) co_return deadline.expired() ? timed_out() : sent;

  // <- e, ee, se
  wire::FrameDecoder decoder;
  auto message2 = co_await ReadFrame(socket, decoder);
  if (stopped_) co_return Unavailable("the peer link is stopped");
  if (!message2.ok()) co_return deadline.expired() ? timed_out() : message2.status();
  auto keys = FinishSessionHandshake(initiation->state, *message2);
  if (!keys.ok()) co_return keys.status();
  if (!partner_ || partner_->static_key != partner_key) {
    co_return FailedPrecondition("the partner changed during the handshake");
  }
  deadline.Disarm();
  tracked.Release();
  auto session = NewSession(std::move(socket), std::move(decoder), std::move(*keys),
                            Session::Role::kInitiator, identity_.public_key);
  Adopt(session);
  co_return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// Sessions.

std::shared_ptr<Session> PartnerLink::Impl::NewSession(tcp::socket socket,
                                                       wire::FrameDecoder decoder,
                                                       noise::TransportKeys keys,
                                                       Session::Role role,
                                                       const crypto::PublicKey& initiator_key) {
  auto session = std::make_shared<Session>(std::move(socket), std::move(decoder), std::move(keys),
                                           role, initiator_key, next_session_id_++,
                                           weak_from_this(), SessionOptionsFromLink());
  sessions_.push_back(session);
  session->Start();
  return session;
}

SessionOptions PartnerLink::Impl::SessionOptionsFromLink() const {
  SessionOptions options;
  options.keepalive_interval = options_.keepalive_interval;
  options.dead_after = options_.dead_after;
  options.confirm_timeout = options_.handshake_timeout;
  options.rekey_after_messages = options_.rekey_after_messages;
  return options;
}

std::shared_ptr<Session> PartnerLink::Impl::Find(const Session& session) const {
  for (const auto& candidate : sessions_) {
    if (candidate.get() == &session) return candidate;
  }
  return nullptr;
}

bool PartnerLink::Impl::Prefer(const Session& candidate, const Session& current) const {
  const auto gap = candidate.established_at() - current.established_at();
  // Long after the current one settled: the partner dialed because it lost that one.
  if (gap >= options_.handshake_timeout) return true;
  // Both sides dialed at about the same time: both pick the same one.
  if (candidate.initiator_key() != current.initiator_key()) {
    return candidate.initiator_key() < current.initiator_key();
  }
  return true;  // Same initiator: the newer one.
}

void PartnerLink::Impl::Adopt(const std::shared_ptr<Session>& session) {
  if (!session->open()) return;
  // Sessions belong to the current partner: SetPartner closes the others.
  if (stopped_ || !partner_) {
    session->Close("not paired");
    return;
  }
  if (IsUp()) {
    if (!Prefer(*session, *live_)) {
      Debug("session " + std::to_string(session->id()) + " yields to the live session " +
            std::to_string(live_->id()));
      // Retired, not cut: the partner may have sent on it before it learned the same.
      session->Retire(options_.handshake_timeout);
      return;
    }
    Debug("session " + std::to_string(session->id()) + " replaces session " +
          std::to_string(live_->id()));
    std::exchange(live_, session)->Retire(options_.handshake_timeout);
  } else {
    live_ = session;
  }
  backoff_.Reset();
  down_pending_.reset();  // Replaced in time: the listener never saw it down.
  Info("link up: session " + std::to_string(session->id()) + " with the partner at " +
       session->remote_address());
  const auto addresses = AdvertisedAddresses(session->local_endpoint());
  if (!addresses.empty()) {
    PeerMessage message;
    auto* list = message.mutable_addresses();
    for (const auto& address : addresses) list->add_addresses(address);
    session->Send(message);
  }
  listener_.OnLinkUp(session->remote_address());
  WakeDialer();  // Re-plan: the rehandshake timer starts now.
}

void PartnerLink::Impl::OnSessionConfirmed(Session& session) {
  if (stopped_) return;
  if (auto shared = Find(session)) Adopt(shared);
}

void PartnerLink::Impl::OnSessionMessage(Session& session, const PeerMessage& message) {
  if (stopped_ || !session.open()) return;
  switch (message.kind_case()) {
    case PeerMessage::kKeepalive:
      return;  // Its arrival already counted as liveness.
    case PeerMessage::kAddresses: {
      const auto& list = message.addresses().addresses();
      auto addresses = SanitizeAddresses(std::vector<std::string>(list.begin(), list.end()));
      if (partner_ && !addresses.empty()) {
        // Dial the new addresses first, keeping the known ones as fallbacks.
        std::vector<std::string> merged = addresses;
        for (const auto& known : partner_->addresses) {
          if (std::find(merged.begin(), merged.end(), known) == merged.end()) {
            merged.push_back(known);
          }
        }
        merged.resize(std::min(merged.size(), kMaxPartnerAddresses));
        partner_->addresses = std::move(merged);
        listener_.OnPartnerAddresses(partner_->addresses);
      }
      return;
    }
    case PeerMessage::kPairConfirm:
    case PeerMessage::kPairWelcome:
      Debug("ignored a pairing message on a session");
      return;
    default:
      // Core messages, and kinds this build does not know (the core ignores those).
      listener_.OnPeerMessage(message);
      return;
  }
}

void PartnerLink::Impl::OnSessionClosed(Session& session, const std::string& reason) {
  std::erase_if(sessions_, [&](const auto& candidate) { return candidate.get() == &session; });
  if (stopped_) return;
  if (live_.get() != &session) {
    Debug("session " + std::to_string(session.id()) + " closed: " + reason);
    // The session a deferred OnLinkDown was waiting for did not make it.
    if (down_pending_ && !IsUp() && !HasUnconfirmedSession()) {
      ReportDown(*std::exchange(down_pending_, std::nullopt));
    }
    return;
  }
  live_.reset();
  next_dial_at_ = SteadyClock::now() + backoff_.Next();
  WakeDialer();
  // When both sides dial at once, the partner may close the session we took a moment
  // before its preferred one (already answered here) confirms: no need to report a
  // down that lasts one round trip. Bounded by the confirmation timeout.
  if (HasUnconfirmedSession()) {
    Debug("session " + std::to_string(session.id()) + " closed (" + reason +
          "); waiting for the next one to confirm");
    down_pending_ = reason;
    return;
  }
  ReportDown(reason);
}

void PartnerLink::Impl::ReportDown(const std::string& reason) {
  down_pending_.reset();
  Info("link down: " + reason);
  listener_.OnLinkDown(reason);
}

bool PartnerLink::Impl::HasUnconfirmedSession() const {
  return std::any_of(sessions_.begin(), sessions_.end(),
                     [](const auto& s) { return s->open() && !s->confirmed(); });
}

void PartnerLink::Impl::CloseAllSessions(const std::string& reason) {
  // Close posts the notifications, so iterating a copy is only for clarity.
  const auto sessions = sessions_;
  for (const auto& session : sessions) session->Close(reason);
}

bool PartnerLink::Impl::SendToPartner(const PeerMessage& message) {
  if (!IsUp()) return false;
  return live_->Send(message);
}

std::vector<std::string> PartnerLink::Impl::AdvertisedAddresses(const tcp::endpoint& local) const {
  if (!advertised_.empty()) return advertised_;
  if (!acceptor_.is_open()) return {};
  boost::system::error_code ec;
  const auto listen = acceptor_.local_endpoint(ec);
  if (ec) return {};
  if (!listen.address().is_unspecified()) return {FormatEndpoint(listen)};
  // Listening on every interface: the address this connection uses is one the partner
  // can reach, at least from where it is now.
  if (local.address().is_unspecified()) return {};
  return {FormatEndpoint(tcp::endpoint(local.address(), listen.port()))};
}

// ---------------------------------------------------------------------------------------
// Joining.

asio::awaitable<Result<core::Partner>> PartnerLink::Impl::Join(std::shared_ptr<Impl> self,
                                                               JoinRequest request) {
  Impl& impl = *self;
  if (impl.stopped_) co_return Unavailable("the peer link is stopped");
  if (impl.partner_) {
    co_return FailedPrecondition("already paired: unpair before joining another invite");
  }
  if (impl.clock_.NowUnixMs() / kMillisPerSecond >= request.expires_at_unix) {
    co_return Expired("this invite has expired: ask your partner for a new one");
  }
  if (request.secret.size() != noise::kPskSize) {
    co_return InvalidArgument("an invite secret must be 32 bytes");
  }
  if (request.inviter_key == impl.identity_.public_key) {
    co_return InvalidArgument("this is our own invite");
  }
  request.addresses = SanitizeAddresses(request.addresses);
  if (request.addresses.empty()) co_return InvalidArgument("the invite has no usable address");

  bool refused = false;
  bool timed_out = false;
  Status last_error = Unavailable("cannot reach the inviter");
  for (const auto& address : request.addresses) {
    JoinAttempt attempt = co_await impl.JoinAt(address, request);
    if (impl.stopped_) co_return Unavailable("the peer link is stopped");
    if (!attempt.welcome_addresses.ok()) {
      const Status& status = attempt.welcome_addresses.status();
      impl.Debug("joining via " + address + " failed: " + status.message());
      if (attempt.timed_out) {
        timed_out = true;
      } else if (status.code() == Code::kPermissionDenied) {
        refused = true;
      } else {
        last_error = status;
      }
      continue;  // A refusal may be a wrong host dropping our mac1: try the others too.
    }
    if (impl.partner_) co_return FailedPrecondition("paired with someone else meanwhile");
    core::Partner partner;
    partner.static_key = request.inviter_key;
    partner.addresses =
        attempt.welcome_addresses->empty() ? request.addresses : *attempt.welcome_addresses;
    Status durable = impl.listener_.OnPaired(partner);
    if (!durable.ok()) co_return durable;
    impl.Info("paired with a new partner (joiner side)");
    impl.SetPartner(partner);
    co_return partner;
  }
  if (refused) co_return PermissionDenied(std::string(kInviteRefusedMessage));
  if (timed_out) {
    co_return Unavailable("the inviter did not answer within " +
                          Millis(impl.options_.handshake_timeout));
  }
  co_return Unavailable(
      "cannot reach the inviter at any address in the invite (last: " + last_error.message() + ")");
}

asio::awaitable<PartnerLink::Impl::JoinAttempt> PartnerLink::Impl::JoinAt(
    std::string address, const JoinRequest& request) {
  tcp::socket socket(io_);
  tcp::resolver resolver(io_);
  TrackedSocket tracked(handshaking_, socket);
  Deadline deadline(io_.get_executor(), options_.handshake_timeout, [&socket, &resolver] {
    resolver.cancel();
    CloseQuietly(socket);
  });
  Status connected = co_await Connect(socket, resolver, address, options_.proxy);
  if (!connected.ok()) co_return JoinAttempt{connected, deadline.expired()};
  wire::FrameDecoder decoder;
  auto welcome = co_await RunJoinerConversation(socket, decoder, identity_, request.inviter_key,
                                                request.secret, request.my_addresses);
  const bool timed_out = !welcome.ok() && deadline.expired();
  co_return JoinAttempt{std::move(welcome), timed_out};
}

// ---------------------------------------------------------------------------------------
// Stopping and introspection.

void PartnerLink::Impl::Stop() {
  if (stopped_) return;
  Info("stopping");
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (tcp::socket* socket : handshaking_) CloseQuietly(*socket);
  const auto sessions = std::exchange(sessions_, {});
  for (const auto& session : sessions) session->Close("stopped");
  live_.reset();
  partner_.reset();
  invite_.reset();
  dial_signal_.cancel();
}

std::optional<SessionSummary> PartnerLink::Impl::live_session() const {
  if (!IsUp()) return std::nullopt;
  return SessionSummary{live_->initiator_key(), live_->local_address(), live_->remote_address()};
}

size_t PartnerLink::Impl::session_count() const {
  return static_cast<size_t>(std::count_if(sessions_.begin(), sessions_.end(), [](const auto& s) {
    return s->open() && s->confirmed() && !s->retired();
  }));
}

size_t PartnerLink::Impl::pending_handshakes() const {
  const auto unconfirmed = std::count_if(sessions_.begin(), sessions_.end(), [](const auto& s) {
    return s->open() && !s->confirmed();
  });
  return pending_inbound_ + static_cast<size_t>(unconfirmed);
}

// ---------------------------------------------------------------------------------------
// PartnerLink forwards to Impl.

PartnerLink::PartnerLink(asio::io_context& io, const crypto::KeyPair& identity,
                         core::LinkListener& listener, const core::Clock& clock,
                         log::Logger& logger, LinkOptions options)
    : impl_(std::make_shared<Impl>(io, identity, listener, clock, logger, options)) {}

PartnerLink::~PartnerLink() {
  impl_->Stop();
}

Status PartnerLink::Listen(const std::string& host_port) {
  return impl_->Listen(host_port);
}
std::string PartnerLink::listen_address() const {
  return impl_->listen_address();
}
void PartnerLink::SetAdvertisedAddresses(std::vector<std::string> addresses) {
  impl_->SetAdvertisedAddresses(std::move(addresses));
}
void PartnerLink::SetPartner(std::optional<core::Partner> partner) {
  impl_->SetPartner(std::move(partner));
}
void PartnerLink::SetInvite(std::optional<PendingInvite> invite) {
  impl_->SetInvite(std::move(invite));
}

asio::awaitable<Result<core::Partner>> PartnerLink::Join(const identity::Invite& invite,
                                                         std::vector<std::string> my_addresses) {
  // Copied before the first suspension, so the caller's invite need not outlive the call.
  Impl::JoinRequest request;
  request.inviter_key = invite.inviter_key;
  request.secret = crypto::SecretBytes::CopyOf(invite.secret.span());
  request.addresses = invite.addresses;
  request.expires_at_unix = invite.expires_at_unix;
  request.my_addresses = std::move(my_addresses);
  return Impl::Join(impl_, std::move(request));
}

bool PartnerLink::SendToPartner(const PeerMessage& message) {
  return impl_->SendToPartner(message);
}
bool PartnerLink::IsUp() const {
  return impl_->IsUp();
}
size_t PartnerLink::QueuedBytes() const {
  return impl_->QueuedBytes();
}
void PartnerLink::Stop() {
  impl_->Stop();
}
std::optional<SessionSummary> PartnerLink::live_session() const {
  return impl_->live_session();
}
size_t PartnerLink::session_count() const {
  return impl_->session_count();
}
size_t PartnerLink::pending_handshakes() const {
  return impl_->pending_handshakes();
}

}  // namespace inmost::peer
