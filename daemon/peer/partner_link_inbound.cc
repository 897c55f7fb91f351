// The peer link's inbound side: listening, accepting, and each source's handshake work
// as responder (mac1; then mac2, the replay check and the rate limit for a session, or
// the rate limit for a pairing; only then KK or IKpsk2). A pairing hello with our mac1 that
// we will not answer gets a refusal frame (pairing.h) and one log line; a hello without
// our mac1 gets nothing. It must never do DH work before those checks (and, for a
// pairing, the invite check) passed, nor keep more than max_pending_handshakes connections.
#include <array>
#include <optional>
#include <utility>

#include "daemon/peer/address.h"
#include "daemon/peer/hello.h"
#include "daemon/peer/pairing.h"
#include "daemon/peer/partner_link_impl.h"
#include "daemon/peer/session_handshake.h"
#include "daemon/peer/session_hello.h"

namespace inmost::peer {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// After a failed accept (out of file descriptors, say), wait this long before the next
// one instead of spinning.
constexpr std::chrono::milliseconds kAcceptErrorPause{100};

// What a session that came in through our onion service shows as the partner's address:
// Tor hides where the partner is.
constexpr char kThroughTor[] = "through Tor";

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

}  // namespace

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

  INMOST_RETURN_IF_ERROR(Open(acceptor_, endpoint, host_port, /*through_tor=*/false));
  Info("listening on " + listen_address());
  return Status::Ok();
}

Result<std::string> PartnerLink::Impl::ListenForTor() {
  if (stopped_) return FailedPrecondition("the peer link is stopped");
  if (tor_acceptor_.is_open()) return FailedPrecondition("already listening for Tor");
  const tcp::endpoint loopback(asio::ip::address_v4::loopback(), 0);
  INMOST_RETURN_IF_ERROR(Open(tor_acceptor_, loopback, "127.0.0.1:0", /*through_tor=*/true));
  boost::system::error_code ec;
  const auto endpoint = tor_acceptor_.local_endpoint(ec);
  if (ec) return IoError("cannot read the Tor listener's address: " + ec.message());
  return FormatEndpoint(endpoint);
}

Status PartnerLink::Impl::Open(tcp::acceptor& acceptor, const tcp::endpoint& endpoint,
                               const std::string& what, bool through_tor) {
  boost::system::error_code ec;
  auto fail = [&](const std::string& step) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return IoError("cannot listen on " + what + ": " + step + ": " + ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("reuse_address");
  if (endpoint.address().is_v6()) {
    // "[::]" also takes IPv4 connections; systems that refuse keep IPv6 only.
    boost::system::error_code ignored;
    acceptor.set_option(asio::ip::v6_only(false), ignored);
  }
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  asio::co_spawn(io_, AcceptLoop(shared_from_this(), acceptor, through_tor),
                 RethrowCoroutineException);
  return Status::Ok();
}

std::string PartnerLink::Impl::listen_address() const {
  if (!acceptor_.is_open()) return "";
  boost::system::error_code ec;
  const auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? "" : FormatEndpoint(endpoint);
}

asio::awaitable<void> PartnerLink::Impl::AcceptLoop(std::shared_ptr<Impl> self,
                                                    tcp::acceptor& acceptor, bool through_tor) {
  while (!stopped_ && acceptor.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      Warning("accept failed: " + ec.message());
      core::Timer pause(io_, clock_);
      co_await pause.WaitFor(kAcceptErrorPause);
      continue;
    }
    // One of our own joins dialled this daemon: mark it for the join, which reports it.
    const auto remote = socket.remote_endpoint(ec);
    if (!ec) {
      if (auto own = joining_from_.find(FormatEndpoint(remote)); own != joining_from_.end()) {
        own->second = true;
        CloseQuietly(socket);
        continue;
      }
    }
    if (pending_handshakes() >= options_.max_pending_handshakes) {
      Debug("dropped a connection: too many unauthenticated connections");
      CloseQuietly(socket);
      continue;
    }
    ++pending_inbound_;  // HandleInbound decrements.
    asio::co_spawn(io_, HandleInbound(self, std::move(socket), through_tor),
                   RethrowCoroutineException);
  }
}

asio::awaitable<void> PartnerLink::Impl::HandleInbound(std::shared_ptr<Impl> /*keep_alive*/,
                                                       tcp::socket socket, bool through_tor) {
  DecrementOnExit pending(pending_inbound_);
  TrackedSocket tracked(handshaking_, socket);
  Deadline deadline(socket.get_executor(), clock_, options_.handshake_timeout,
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
    const std::string line = "dropped a hello from " + remote + ": " + hello.status().message();
    // Only a partner whose inmost is older or newer than ours sends a hello of another
    // type with our mac1: that one the user can act on.
    if (hello.status().code() == Code::kUnsupported) {
      WarnRefused(line);
    } else {
      Debug(line);
    }
    co_return;
  }
  if (hello->type == HelloType::kSession) {
    // mac2 and the stamp before the rate limit, so that neither a stranger who knows
    // our key nor a replay drains the budget the partner's own hellos need.
    auto session_hello = OpenPartnerHello(hello->message, remote);
    if (!session_hello) co_return;
    if (!rate_limiter_.Allow(remote_endpoint.address(), clock_.SteadyNow())) {
      Debug("dropped a hello from " + remote + ": too many handshakes from that address");
      co_return;
    }
    co_await RespondSession(socket, decoder, deadline, tracked, remote, std::move(*session_hello),
                            through_tor);
    co_return;
  }
  if (!rate_limiter_.Allow(remote_endpoint.address(), clock_.SteadyNow())) {
    Debug("dropped a hello from " + remote + ": too many handshakes from that address");
    // A joiner who knows our key hears why, instead of taking us for someone else.
    co_await WriteFrame(socket, PairingRefusalFrame(PairingRefusal::kBusy));
    co_return;
  }
  co_await RespondPairing(socket, decoder, deadline, remote, std::move(hello->message));
}

std::optional<SessionHello> PartnerLink::Impl::OpenPartnerHello(std::span<const uint8_t> inner,
                                                                const std::string& remote) {
  if (!partner_ || !partner_hello_keys_) {
    Debug("refused a session from " + remote + ": not paired");
    return std::nullopt;
  }
  auto opened = OpenSessionHello(static_cast<uint8_t>(HelloType::kSession), inner,
                                 partner_hello_keys_->from_partner);
  if (!opened.ok()) {
    Debug("dropped a hello from " + remote + ": " + opened.status().message());
    return std::nullopt;
  }
  // After mac2, so only the partner's own hellos (fresh or replayed) move the window.
  if (!partner_stamps_.AcceptIfNewer(opened->stamp)) {
    Debug("dropped a hello from " + remote +
          ": replayed (its stamp is not newer than the partner's last hello)");
    return std::nullopt;
  }
  return std::move(*opened);
}

asio::awaitable<void> PartnerLink::Impl::RespondSession(tcp::socket& socket,
                                                        wire::FrameDecoder& decoder,
                                                        Deadline& deadline, TrackedSocket& tracked,
                                                        std::string remote, SessionHello hello,
                                                        bool through_tor) {
  const crypto::PublicKey partner_key = partner_->static_key;
  auto response = RespondToSessionHandshake(identity_, partner_key, hello);
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
  auto session =
      NewSession(std::move(socket), std::move(decoder), std::move(response->keys),
                 Session::Role::kResponder, partner_key, through_tor ? kThroughTor : std::string());
  Debug("session " + std::to_string(session->id()) + " from " + remote +
        " awaits key confirmation");
}

asio::awaitable<void> PartnerLink::Impl::RespondPairing(tcp::socket& socket,
                                                        wire::FrameDecoder& decoder,
                                                        Deadline& deadline, std::string remote,
                                                        crypto::Bytes message1) {
  // Refused before any DH work, with a frame that does not say why (pairing.h).
  std::optional<std::string> why;
  if (partner_) {
    why = "this daemon is already paired (the invite was used)";
  } else if (!invite_) {
    why = "there is no open invite (it was used, or none was made)";
  } else if (!InviteOpen()) {
    why = "the invite has expired";
  }
  if (why) {
    LogRefusedJoin(remote, *why);
    co_await WriteFrame(socket, PairingRefusalFrame(PairingRefusal::kNoOpenInvite));
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
    if (!deadline.expired() && result.code() == Code::kPermissionDenied) {
      LogRefusedJoin(remote, result.message());
    } else {
      Info("pairing from " + remote +
           " failed: " + (deadline.expired() ? "timed out" : result.message()));
    }
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

}  // namespace inmost::peer
