// Outbound dials through a SOCKS5 proxy (RFC 1928), such as Tor's SocksPort, so two
// partners can reach each other at .onion addresses or hide where they dial from.
// The proxy resolves every target name: this module must never resolve a target name
// locally (a DNS query would tell the network whom we dial), never offer a method but
// "no authentication", never read past the proxy's reply (what follows belongs to the
// Noise handshake), and never put anything about a target but its host:port in a
// message or a log line.
#pragma once

#include <string>
#include <string_view>

#include "daemon/peer/address.h"
#include "daemon/peer/asio.h"
#include "inmost/status.h"

namespace inmost::peer {

// Parses "socks5://HOST:PORT" or "socks5h://HOST:PORT" into the proxy's address. Both
// schemes mean the same here: names are always resolved by the proxy. A trailing '/' is
// allowed; user info, a path, another scheme or a missing port are InvalidArgument.
Result<HostPort> ParseProxyUrl(std::string_view url);

// "host:port", with an IPv6 host in brackets, as ParseHostPort reads it back.
std::string JoinHostPort(const HostPort& address);

// Connects `socket` to the SOCKS5 proxy at `proxy` ("host:port"; a proxy name is
// resolved locally through `resolver`, as any Connect does) and has it open a TCP
// connection to `target` ("host:port"). A target name, .onion included, travels to the
// proxy as a name (ATYP DOMAINNAME); an IP literal as an address. On success the socket
// carries the stream to the target, with nothing of the proxy's reply left to read.
// InvalidArgument for a malformed target; Unavailable when the proxy cannot be reached,
// answers with something that is not SOCKS5, wants authentication, or reports that it
// could not reach the target ("the proxy could not reach HOST:PORT: connection
// refused"). No time bound of its own: the caller's Deadline closes the socket.
boost::asio::awaitable<Status> ConnectThroughSocks5(boost::asio::ip::tcp::socket& socket,
                                                    boost::asio::ip::tcp::resolver& resolver,
                                                    const std::string& proxy,
                                                    const std::string& target);

}  // namespace inmost::peer
