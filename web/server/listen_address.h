// Where `inmost web` listens: the text of --listen read into an address and port,
// and whether only this machine can reach it. It never binds, and it refuses a
// wildcard, whose Host header could not be checked against DNS rebinding.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>

#include "inmost/status.h"

namespace inmost::web {

struct ListenAddress {
  boost::asio::ip::tcp::endpoint endpoint;
  bool loopback = true;  // Only this machine can connect.
};

// "127.0.0.1:8080", "[::1]:0", "localhost:8080" (127.0.0.1) or "192.168.1.5:8080".
// Port 0 lets the system choose.
Result<ListenAddress> ParseListenAddress(std::string_view text);

// The address and port as they appear in a URL and a Host header: "127.0.0.1:8080",
// "[::1]:8080".
std::string HostAndPort(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace inmost::web
