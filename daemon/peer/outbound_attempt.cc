#include "daemon/peer/outbound_attempt.h"

#include <utility>

namespace inmost::peer {

OutboundAttempt::OutboundAttempt(boost::asio::io_context& io, HandshakingSockets& handshaking,
                                 const core::Clock& clock, std::chrono::milliseconds timeout)
    : socket_(io),
      resolver_(io),
      tracked_(handshaking, socket_),
      deadline_(io.get_executor(), clock, timeout, [this] { Abort(); }) {}

void OutboundAttempt::Abort() {
  resolver_.cancel();
  CloseQuietly(socket_);
}

boost::asio::awaitable<Status> OutboundAttempt::Connect(const std::string& address,
                                                        const std::string& proxy) {
  return peer::Connect(socket_, resolver_, address, proxy);
}

boost::asio::ip::tcp::socket OutboundAttempt::Release() {
  deadline_.Disarm();
  tracked_.Release();
  return std::move(socket_);
}

}  // namespace inmost::peer
