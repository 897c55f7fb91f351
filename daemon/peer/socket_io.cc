#include "daemon/peer/socket_io.h"

#include <array>
#include <utility>

#include "daemon/peer/address.h"
#include "daemon/peer/socks5.h"

namespace inmost::peer {

namespace asio = boost::asio;
using asio::ip::tcp;

Deadline::Deadline(const asio::any_io_executor& executor, const core::Clock& clock,
                   std::chrono::milliseconds timeout, std::function<void()> on_expire)
    : timer_(executor, clock), state_(std::make_shared<State>()) {
  state_->on_expire = std::move(on_expire);
  // The handler holds the state, not `this`: it may run after this Deadline is gone.
  timer_.AsyncWaitFor(timeout, [state = state_](bool fired) {
    if (!fired || !state->armed) return;
    state->armed = false;
    state->expired = true;
    state->on_expire();
  });
}

Deadline::~Deadline() {
  Disarm();
  timer_.Cancel();
}

void Deadline::Disarm() {
  state_->armed = false;
  state_->on_expire = nullptr;
}

asio::awaitable<Status> Connect(tcp::socket& socket, tcp::resolver& resolver,
                                const std::string& address) {
  auto parsed = ParseHostPort(address);
  if (!parsed.ok()) co_return parsed.status();
  boost::system::error_code ec;
  if (auto literal = ParseIpLiteral(parsed->host)) {
    // No resolver for IP literals: Asio resolves on a private thread, kept for names.
    co_await socket.async_connect(tcp::endpoint(*literal, parsed->port),
                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Unavailable("cannot connect to " + address + ": " + ec.message());
    co_return Status::Ok();
  }
  auto endpoints = co_await resolver.async_resolve(parsed->host, std::to_string(parsed->port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Unavailable("cannot resolve " + address + ": " + ec.message());
  co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Unavailable("cannot connect to " + address + ": " + ec.message());
  co_return Status::Ok();
}

asio::awaitable<Status> Connect(tcp::socket& socket, tcp::resolver& resolver,
                                const std::string& address, const std::string& proxy) {
  if (proxy.empty()) {
    Status direct = co_await Connect(socket, resolver, address);
    co_return direct;
  }
  Status proxied = co_await ConnectThroughSocks5(socket, resolver, proxy, address);
  co_return proxied;
}

asio::awaitable<Result<crypto::Bytes>> ReadFrame(tcp::socket& socket, wire::FrameDecoder& decoder) {
  std::array<uint8_t, kHandshakeReadChunk> chunk;
  for (;;) {
    auto next = decoder.Next();
    if (!next.ok()) co_return next.status();
    if (next->has_value()) co_return std::move(**next);
    boost::system::error_code ec;
    const size_t n = co_await socket.async_read_some(asio::buffer(chunk),
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof || ec == asio::error::connection_reset) {
      co_return Unavailable("the peer closed the connection");
    }
    if (ec) co_return IoError("read failed: " + ec.message());
    decoder.Feed(std::span<const uint8_t>(chunk.data(), n));
  }
}

asio::awaitable<Status> WriteFrame(tcp::socket& socket, crypto::Bytes body) {
  auto frame = wire::EncodeFrame(body);
  if (!frame.ok()) co_return frame.status();
  boost::system::error_code ec;
  co_await asio::async_write(socket, asio::buffer(*frame),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return IoError("write failed: " + ec.message());
  co_return Status::Ok();
}

void CloseQuietly(tcp::socket& socket) {
  boost::system::error_code ec;
  socket.close(ec);
}

}  // namespace inmost::peer
