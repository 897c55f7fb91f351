// The peer link's shared state (PartnerLink::Impl), private to the link's own files:
// partner_link.cc (set-up, stop, introspection), partner_link_inbound.cc (listen and
// the responder's handshakes), partner_link_session_choice.cc (which session is live,
// up and down), partner_link_join.cc (pairing as joiner), and the Dialer it drives.
// Nothing outside daemon/peer/partner_link*.cc may include it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/token_bucket.h"
#include "daemon/peer/address.h"
#include "daemon/peer/dialer.h"
#include "daemon/peer/handshake_mac.h"
#include "daemon/peer/join_report.h"
#include "daemon/peer/pairing.h"
#include "daemon/peer/partner_link.h"
#include "daemon/peer/rate_limiter.h"
#include "daemon/peer/route.h"
#include "daemon/peer/session.h"
#include "daemon/peer/session_hello.h"
#include "daemon/peer/socket_io.h"
#include "daemon/peer/tracked_socket.h"

namespace inmost::peer {

inline constexpr int64_t kMillisPerSecond = 1000;

class PartnerLink::Impl final : public Session::Observer,
                                public Dialer::Link,
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

  Impl(boost::asio::io_context& io, const crypto::KeyPair& identity, core::LinkListener& listener,
       const core::Clock& clock, log::Logger& logger, LinkOptions options);

  Status Listen(const std::string& host_port);
  std::string listen_address() const;
  Result<std::string> ListenForTor();
  void SetAdvertisedAddresses(std::vector<std::string> addresses) {
    advertised_ = SanitizeAddresses(addresses);
    TellAddresses();
  }
  void SetOnionAddress(std::string address) {
    onion_address_ = std::move(address);
    TellAddresses();
  }
  void SetTorSocks(std::string socks);
  bool PartnerSeenAt(const std::string& address);
  void SetPartner(std::optional<core::Partner> partner);
  void SetInvite(std::optional<PendingInvite> invite) {
    if (stopped_) return;
    invite_ = std::move(invite);
    ++invite_generation_;
  }
  static boost::asio::awaitable<Result<core::Partner>> Join(std::shared_ptr<Impl> self,
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
  int64_t last_up_unix_ms() const { return IsUp() ? clock_.NowUnixMs() : last_up_unix_ms_; }
  std::vector<DialFailureReport> dial_failures() const { return dialer_.Failures(); }

  // Dialer::Link
  std::optional<DialTarget> DialTargetNow() const override;
  std::optional<core::SteadyTime> FreshSessionDue() const override;
  bool LiveThroughTor() const override { return IsUp() && live_->through_tor(); }
  Result<Route> RouteTo(const std::string& candidate) const override {
    return peer::RouteTo(routes_, candidate);
  }
  void OnDialed(const std::string& candidate, DialedConnection connection) override;

 private:
  // Outcome of one pairing attempt at one address.
  struct JoinAttempt {
    Result<std::vector<std::string>> welcome_addresses;
    JoinAttemptReport report;  // What happened, when it failed.
  };

  // What the checks before any DH decided about a hello (partner_link_screen.cc).
  struct Screened {
    enum class Next { kDrop, kRefusePairing, kRespondSession, kRespondPairing };
    Next next = Next::kDrop;
    PairingRefusal refusal = PairingRefusal::kNoOpenInvite;  // kRefusePairing: which one.
    std::optional<SessionHello> session;                     // kRespondSession,
    crypto::PublicKey partner_key{};                         // from this partner.
    crypto::Bytes pairing_message1;                          // kRespondPairing.
  };

  // Inbound (partner_link_inbound.cc).
  // Opens `acceptor` on `endpoint` and starts accepting; `through_tor` for the Tor one.
  Status Open(boost::asio::ip::tcp::acceptor& acceptor,
              const boost::asio::ip::tcp::endpoint& endpoint, const std::string& what,
              bool through_tor);
  boost::asio::awaitable<void> AcceptLoop(std::shared_ptr<Impl> self,
                                          boost::asio::ip::tcp::acceptor& acceptor,
                                          bool through_tor);
  // One accepted connection (`fd`, non-blocking, ours to close): its hello, when it is
  // already in the socket, is screened and a refused one dropped here, with no socket
  // object, coroutine or timer; anything that must wait goes to HandleInbound.
  void TakeConnection(const std::shared_ptr<Impl>& self, int fd,
                      const boost::asio::ip::tcp::endpoint& remote, bool through_tor);
  // Reads the hello unless `screened` already holds its verdict, then answers it.
  boost::asio::awaitable<void> HandleInbound(std::shared_ptr<Impl> keep_alive,
                                             boost::asio::ip::tcp::socket socket,
                                             boost::asio::ip::tcp::endpoint remote_endpoint,
                                             wire::FrameDecoder decoder,
                                             std::optional<Screened> screened, bool through_tor);
  boost::asio::awaitable<void> RespondSession(boost::asio::ip::tcp::socket& socket,
                                              wire::FrameDecoder& decoder, Deadline& deadline,
                                              TrackedSocket& tracked, std::string remote,
                                              SessionHello hello, bool through_tor);
  boost::asio::awaitable<void> RespondPairing(boost::asio::ip::tcp::socket& socket,
                                              wire::FrameDecoder& decoder, Deadline& deadline,
                                              std::string remote, crypto::Bytes message1);

  // Screening (partner_link_screen.cc): synchronous, no DH work, no socket I/O.
  // mac1; then for a session hello mac2, the stamp and the per-source rate limit; for
  // a pairing hello the rate limit and whether there is an open invite to pair with.
  // Every drop is logged as before (at debug; a wrong-version hello as a refusal).
  Screened Screen(std::span<const uint8_t> frame, const boost::asio::ip::tcp::endpoint& remote);
  // The partner's session hello with mac2 and a fresh stamp, or nullopt (logged) for
  // a stranger's, a replayed one, or any while unpaired. No DH work.
  std::optional<SessionHello> OpenPartnerHello(std::span<const uint8_t> inner,
                                               const boost::asio::ip::tcp::endpoint& remote);
  // Why a pairing hello cannot be answered now, or nullopt when an invite is open.
  std::optional<std::string> WhyNoPairing() const;
  // "dropped a hello from REMOTE: WHY" at debug, built only when debug lines are on:
  // a flood of them must not cost a string per hello.
  void DebugDrop(const boost::asio::ip::tcp::endpoint& remote, std::string_view why);
  bool InviteOpen() const {
    return invite_.has_value() && clock_.NowUnixMs() / kMillisPerSecond < invite_->expires_at_unix;
  }

  // Joining (partner_link_join.cc).
  boost::asio::awaitable<JoinAttempt> JoinAt(std::string address, const JoinRequest& request);

  // Session choice (partner_link_session_choice.cc).
  // Makes `session` the live one if it wins against the current one (see the header).
  void Adopt(const std::shared_ptr<Session>& session);
  // Whether `candidate`, confirmed after `current`, should replace it.
  bool Prefer(const Session& candidate, const Session& current) const;
  // A non-empty `remote_name` marks a session through Tor (the onion we dialled, or
  // "through Tor" for one in on the Tor listener) and replaces the TCP peer's address.
  std::shared_ptr<Session> NewSession(boost::asio::ip::tcp::socket socket,
                                      wire::FrameDecoder decoder, noise::TransportKeys keys,
                                      Session::Role role, const crypto::PublicKey& initiator_key,
                                      std::string remote_name);
  std::shared_ptr<Session> Find(const Session& session) const;
  void CloseAllSessions(const std::string& reason);
  bool HasUnconfirmedSession() const;
  void ReportDown(const std::string& reason);
  // Moves `address` to the front of the partner's addresses and has it saved.
  void PreferAddress(const std::string& address);
  // What to tell the partner about where we listen; `local` is the connection's own end.
  std::vector<std::string> AdvertisedAddresses(const boost::asio::ip::tcp::endpoint& local) const;
  // The direct part of AdvertisedAddresses: `advertise`, else the listen address.
  std::vector<std::string> DirectAddresses(const boost::asio::ip::tcp::endpoint& local) const;
  // Sends the partner AdvertisedAddresses() now if the link is up (else at link up).
  void TellAddresses();
  SessionOptions SessionOptionsFromLink() const;

  // Logging stops with the link: the logger may be gone after Stop.
  void Debug(const std::string& line) {
    if (!stopped_) logger_.Debug("peer: " + line);
  }
  bool DebugOn() const { return !stopped_ && logger_.enabled(log::Level::kDebug); }
  void Info(const std::string& line) {
    if (!stopped_) logger_.Info("peer: " + line);
  }
  void Warning(const std::string& line) {
    if (!stopped_) logger_.Warning("peer: " + line);
  }
  // A refused handshake, logged at most once a second (with a count of the ones
  // left out), so that a flood of them cannot flood the log.
  void WarnRefused(const std::string& line) {
    const core::SteadyTime now = clock_.SteadyNow();
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

  // "refused a join from REMOTE: WHY", one line per refused join; past a burst of
  // them, at most one every few seconds, with a count of the ones left out.
  void LogRefusedJoin(const std::string& remote, const std::string& why) {
    const core::SteadyTime now = clock_.SteadyNow();
    if (!refused_join_budget_) refused_join_budget_.emplace(kRefusedJoinLogRate, 10.0, now);
    if (!refused_join_budget_->TryTake(1.0, now)) {
      ++refused_joins_not_logged_;
      return;
    }
    std::string more = refused_joins_not_logged_ == 0
                           ? ""
                           : " (and " + std::to_string(refused_joins_not_logged_) +
                                 " more refused joins not logged)";
    refused_joins_not_logged_ = 0;
    Info("refused a join from " + remote + ": " + why + more);
  }
  static constexpr double kRefusedJoinLogRate = 0.2;  // Lines per second after the burst.

  boost::asio::io_context& io_;
  const crypto::KeyPair identity_;
  const Mac1Key own_mac1_key_;
  core::LinkListener& listener_;
  const core::Clock& clock_;
  log::Logger& logger_;
  const LinkOptions options_;
  core::SteadyTime next_refusal_log_{};
  uint64_t refusals_not_logged_ = 0;
  std::optional<core::TokenBucket> refused_join_budget_;
  uint64_t refused_joins_not_logged_ = 0;

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::acceptor tor_acceptor_;  // Where our onion service leads.
  std::vector<std::string> advertised_;
  std::string onion_address_;
  RoutePolicy routes_;
  std::optional<core::Partner> partner_;
  // Checks the partner's session hellos before any DH work (session_hello.h); no keys
  // when the partner's key is unusable.
  std::optional<HelloKeys> partner_hello_keys_;
  ReplayWindow partner_stamps_;
  std::optional<PendingInvite> invite_;
  uint64_t invite_generation_ = 0;  // Bumped whenever the invite changes or is used.
  // The local ends ("host:port") of our joins' connections while they handshake, and
  // whether our own acceptor took that connection: the join dialled this daemon.
  std::map<std::string, bool> joining_from_;

  std::vector<std::shared_ptr<Session>> sessions_;  // Authenticated partner sessions.
  std::shared_ptr<Session> live_;
  // Why the live session ended, while OnLinkDown waits for a responder session that is
  // about to be confirmed (see OnSessionClosed).
  std::optional<std::string> down_pending_;
  int64_t last_up_unix_ms_ = 0;  // When the link last went down (see last_up_unix_ms).
  uint64_t next_session_id_ = 1;

  HandshakingSockets handshaking_;  // Sockets not yet in a Session, for Stop.
  size_t pending_inbound_ = 0;      // Inbound connections still handshaking.
  HelloRateLimiter rate_limiter_;

  Dialer dialer_;  // After identity_ and handshaking_, which it refers to.

  bool stopped_ = false;
};

}  // namespace inmost::peer
