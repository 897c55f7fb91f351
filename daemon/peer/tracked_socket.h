// The sockets of the peer link that are still handshaking (inbound, dialed, joining),
// registered so that stopping the link can close them. It only registers: it must
// never close, read or write a socket itself.
#pragma once

#include <set>

#include "daemon/peer/asio.h"

namespace inmost::peer {

// Every socket not yet in a Session, for PartnerLink::Stop.
using HandshakingSockets = std::set<boost::asio::ip::tcp::socket*>;

// Registers a socket that is still handshaking for as long as it lives (or until Release).
class TrackedSocket {
 public:
  TrackedSocket(HandshakingSockets& registry, boost::asio::ip::tcp::socket& socket)
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
  HandshakingSockets& registry_;
  boost::asio::ip::tcp::socket* socket_;
};

}  // namespace inmost::peer
