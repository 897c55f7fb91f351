// One outbound connection while it handshakes (a dial to the partner or a join at an
// inviter): its socket, the resolver, and the deadline that closes both, registered so
// that stopping the link closes it. It must never outlive handshake_timeout unreleased.
#pragma once

#include <chrono>
#include <string>

#include "daemon/peer/asio.h"
#include "daemon/peer/socket_io.h"
#include "daemon/peer/tracked_socket.h"
#include "inmost/status.h"

namespace inmost::peer {

// Lives in the coroutine frame of the attempt; the deadline starts at construction.
class OutboundAttempt {
 public:
  OutboundAttempt(boost::asio::io_context& io, HandshakingSockets& handshaking,
                  const core::Clock& clock, std::chrono::milliseconds timeout);
  OutboundAttempt(const OutboundAttempt&) = delete;
  OutboundAttempt& operator=(const OutboundAttempt&) = delete;

  // Connects to `address` ("host:port"), through the SOCKS5 `proxy` unless it is empty
  // (socket_io.h). Unavailable with the reason on failure.
  boost::asio::awaitable<Status> Connect(const std::string& address, const std::string& proxy);

  // Closes the socket now (another attempt won): every later step fails.
  void Abort();

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  // Whether the deadline closed the socket: every later failure is then a timeout.
  bool timed_out() const { return deadline_.expired(); }

  // The handshake is done: disarms the deadline, unregisters the socket and hands it
  // over (to a Session).
  boost::asio::ip::tcp::socket Release();

 private:
  // In this order: the tracker and the deadline refer to the socket and the resolver.
  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::resolver resolver_;
  TrackedSocket tracked_;
  Deadline deadline_;
};

}  // namespace inmost::peer
