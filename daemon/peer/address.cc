#include "daemon/peer/address.h"

#include <charconv>

namespace inmost::peer {

namespace ip = boost::asio::ip;

Result<HostPort> ParseHostPort(std::string_view text, bool allow_port_zero) {
  if (text.empty() || text.size() > kMaxAddressLength) {
    return InvalidArgument("an address must be host:port, at most 255 characters");
  }
  std::string_view host;
  std::string_view port_text;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgument("an IPv6 address must look like [2001:db8::1]:7433");
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    auto literal = ParseIpLiteral(host);
    if (!literal || !literal->is_v6()) {
      return InvalidArgument("the text in brackets is not an IPv6 address");
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return InvalidArgument("an address needs a :port");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return InvalidArgument("an IPv6 address needs brackets, as in [::1]:7433");
    }
  }
  if (host.empty()) return InvalidArgument("an address needs a host before the :port");
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535 || (port == 0 && !allow_port_zero)) {
    return InvalidArgument("the port must be a number from 1 to 65535");
  }
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

std::string FormatEndpoint(const ip::tcp::endpoint& endpoint) {
  ip::address address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  const std::string port = std::to_string(endpoint.port());
  if (address.is_v6()) return "[" + address.to_string() + "]:" + port;
  return address.to_string() + ":" + port;
}

std::optional<ip::address> ParseIpLiteral(std::string_view host) {
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  return address;
}

std::vector<std::string> SanitizeAddresses(const std::vector<std::string>& addresses) {
  std::vector<std::string> out;
  for (const auto& address : addresses) {
    if (out.size() >= kMaxPartnerAddresses) break;
    auto parsed = ParseHostPort(address);
    if (!parsed.ok()) continue;
    // 0.0.0.0 and [::] name no host to dial (Linux would quietly dial itself).
    auto literal = ParseIpLiteral(parsed->host);
    if (literal && literal->is_unspecified()) continue;
    out.push_back(address);
  }
  return out;
}

}  // namespace inmost::peer
