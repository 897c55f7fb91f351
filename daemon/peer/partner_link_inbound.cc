// The peer link's inbound side: listening, accepting, and each source's handshake work
// as responder (the checks before any DH are in partner_link_screen.cc; only then KK or
// IKpsk2). A pairing hello with our mac1 that we will not answer gets a refusal frame
// (pairing.h) and one log line; a hello without our mac1 gets nothing. It must never do
// DH work before those checks passed, nor keep more than max_pending_handshakes
// connections, nor take so many connections in a row that the partner's traffic waits.
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>
#include <utility>

#include "daemon/peer/address.h"
#include "daemon/peer/pairing.h"
#include "daemon/peer/partner_link_impl.h"
#include "daemon/peer/session_handshake.h"

namespace inmost::peer {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// After a failed accept (out of file descriptors, say), wait this long before the next
// one instead of spinning.
constexpr std::chrono::milliseconds kAcceptErrorPause{100};

// Connections taken in a row before the loop lets other work run: a flood must not
// hold up the partner's messages on the one io_context thread.
constexpr int kAcceptBurst = 32;

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
  // AcceptLoop's accept4 must find the queue empty rather than wait on it.
  acceptor.native_non_blocking(true, ec);
  if (ec) return fail("non-blocking");
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
  // accept4 by hand rather than Asio's async_accept: the connection comes out
  // non-blocking with its peer's address, and a refused hello never gets an Asio socket
  // (no epoll registration, getpeername or FIONBIO). Every waiting connection is taken
  // before the next wait, so one wake-up serves a burst.
  int burst = 0;
  while (!stopped_ && acceptor.is_open()) {
    if (++burst > kAcceptBurst) {
      burst = 0;
      co_await asio::post(io_, asio::use_awaitable);
      continue;
    }
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(acceptor.native_handle(), reinterpret_cast<sockaddr*>(&address),
                             &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      tcp::endpoint remote;
      if (length <= remote.capacity()) {
        std::memcpy(remote.data(), &address, length);
        remote.resize(length);
        TakeConnection(self, fd, remote, through_tor);
      } else {
        ::close(fd);
      }
      continue;
    }
    const int error = errno;
    // Gone before we took it, or a signal: take the next one.
    if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
    boost::system::error_code ec;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      burst = 0;
      co_await acceptor.async_wait(tcp::acceptor::wait_read,
                                   asio::redirect_error(asio::use_awaitable, ec));
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      if (!ec) continue;
    } else {
      ec.assign(error, boost::system::system_category());
    }
    // Out of file descriptors, say: wait a little instead of spinning.
    Warning("accept failed: " + ec.message());
    core::Timer pause(io_, clock_);
    co_await pause.WaitFor(kAcceptErrorPause);
  }
}

void PartnerLink::Impl::TakeConnection(const std::shared_ptr<Impl>& self, int fd,
                                       const tcp::endpoint& remote, bool through_tor) {
  // One of our own joins dialled this daemon: mark it for the join, which reports it.
  if (!joining_from_.empty()) {
    if (auto own = joining_from_.find(FormatEndpoint(remote)); own != joining_from_.end()) {
      own->second = true;
      ::close(fd);
      return;
    }
  }
  if (pending_handshakes() >= options_.max_pending_handshakes) {
    Debug("dropped a connection: too many unauthenticated connections");
    ::close(fd);
    return;
  }
  // The hello is usually in the socket already (a dialler sends it with the connect):
  // screen it now, and drop a refused one with no more work than a close.
  wire::FrameDecoder decoder;
  std::array<uint8_t, kHandshakeReadChunk> chunk;
  const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
  std::optional<Screened> screened;
  if (n > 0) {
    decoder.Feed(std::span<const uint8_t>(chunk.data(), static_cast<size_t>(n)));
    auto frame = decoder.Next();
    if (!frame.ok()) {
      if (DebugOn()) {
        Debug("dropped a connection from " + FormatEndpoint(remote) +
              " before its hello: " + frame.status().message());
      }
      ::close(fd);
      return;
    }
    if (frame->has_value()) {
      screened = Screen(**frame, remote);
      if (screened->next == Screened::Next::kDrop) {
        ::close(fd);
        return;
      }
      if (screened->next == Screened::Next::kRefusePairing) {
        // Four bytes into a fresh socket's empty send buffer: never blocks.
        if (auto refusal = wire::EncodeFrame(PairingRefusalFrame(screened->refusal));
            refusal.ok()) {
          (void)::send(fd, refusal->data(), refusal->size(), MSG_NOSIGNAL);
        }
        ::close(fd);
        return;
      }
    }
  } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
    if (DebugOn()) {
      Debug("dropped a connection from " + FormatEndpoint(remote) + " before its hello: " +
            (n == 0 ? std::string("the peer closed the connection")
                    : "read failed: " + std::error_code(errno, std::generic_category()).message()));
    }
    ::close(fd);
    return;
  }
  // The hello is still on its way, or is the partner's or a joiner's to answer.
  tcp::socket socket(io_);
  boost::system::error_code ec;
  socket.assign(remote.protocol(), fd, ec);
  if (ec) {
    Warning("cannot take a connection from " + FormatEndpoint(remote) + ": " + ec.message());
    ::close(fd);
    return;
  }
  ++pending_inbound_;  // HandleInbound decrements.
  asio::co_spawn(io_,
                 HandleInbound(self, std::move(socket), remote, std::move(decoder),
                               std::move(screened), through_tor),
                 RethrowCoroutineException);
}

asio::awaitable<void> PartnerLink::Impl::HandleInbound(
    std::shared_ptr<Impl> /*keep_alive*/, tcp::socket socket, tcp::endpoint remote_endpoint,
    wire::FrameDecoder decoder, std::optional<Screened> screened, bool through_tor) {
  DecrementOnExit pending(pending_inbound_);
  TrackedSocket tracked(handshaking_, socket);
  Deadline deadline(socket.get_executor(), clock_, options_.handshake_timeout,
                    [&socket] { CloseQuietly(socket); });
  const std::string remote = FormatEndpoint(remote_endpoint);
  if (!screened) {
    auto frame = co_await ReadFrame(socket, decoder);
    if (stopped_) co_return;
    if (!frame.ok()) {
      Debug("dropped a connection from " + remote +
            " before its hello: " + (deadline.expired() ? "timed out" : frame.status().message()));
      co_return;
    }
    screened = Screen(*frame, remote_endpoint);
  }
  switch (screened->next) {
    case Screened::Next::kDrop:
      co_return;
    case Screened::Next::kRefusePairing:
      co_await WriteFrame(socket, PairingRefusalFrame(screened->refusal));
      co_return;
    case Screened::Next::kRespondSession:
      // Unpaired or paired anew since it was screened (TakeConnection screens before
      // this runs): its mac2 was the old partner's, so no DH for it.
      if (!partner_ || partner_->static_key != screened->partner_key) co_return;
      co_await RespondSession(socket, decoder, deadline, tracked, remote,
                              std::move(*screened->session), through_tor);
      co_return;
    case Screened::Next::kRespondPairing:
      co_await RespondPairing(socket, decoder, deadline, remote,
                              std::move(screened->pairing_message1));
      co_return;
  }
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
  // Screen checked this too; checked again, as the invite may have changed since.
  if (auto why = WhyNoPairing()) {
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
