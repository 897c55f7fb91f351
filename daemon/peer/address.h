// "host:port" text as the peer link reads and writes it: in invites, partner records,
// Listen and Addresses messages. Parsing only; it must never resolve names or connect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/peer/asio.h"
#include "inmost/status.h"

namespace inmost::peer {

// Suggested port for inmostd's peer listener (unassigned by IANA).
inline constexpr uint16_t kDefaultPeerPort = 7433;
// Limits on what a partner may tell us about where it listens.
inline constexpr size_t kMaxPartnerAddresses = 8;
inline constexpr size_t kMaxAddressLength = 255;

struct HostPort {
  std::string host;  // An IPv4 literal, an IPv6 literal without brackets, or a DNS name.
  uint16_t port = 0;
};

// Parses "1.2.3.4:7433", "[::1]:7433" or "name.example:7433". The port may be 0 only
// when `allow_port_zero` (Listen's "pick one"). IPv6 literals need brackets.
Result<HostPort> ParseHostPort(std::string_view text, bool allow_port_zero = false);

// "1.2.3.4:7433" or "[::1]:7433"; an IPv4-mapped IPv6 address is shown as IPv4.
std::string FormatEndpoint(const boost::asio::ip::tcp::endpoint& endpoint);

// The IP literal in `host` as an address, or nullopt for a name.
std::optional<boost::asio::ip::address> ParseIpLiteral(std::string_view host);

// The entries of `addresses` that parse with a non-zero port, are at most
// kMaxAddressLength long and do not name the unspecified address (0.0.0.0, [::]);
// at most kMaxPartnerAddresses of them, in order.
std::vector<std::string> SanitizeAddresses(const std::vector<std::string>& addresses);

}  // namespace inmost::peer
