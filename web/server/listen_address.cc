#include "web/server/listen_address.h"

#include <charconv>

namespace inmost::web {
namespace {

namespace ip = boost::asio::ip;

Status Unusable(std::string_view text, std::string_view why) {
  return InvalidArgument("--listen " + std::string(text) + ": " + std::string(why) +
                         "; give an address and port such as 127.0.0.1:8080");
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return Unusable(text, "there is no port");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return Unusable(text, "the port is not a number from 0 to 65535");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  ip::address address;
  if (host == "localhost") {
    address = ip::address_v4::loopback();
  } else {
    boost::system::error_code ec;
    address = ip::make_address(std::string(host), ec);
    if (ec) return Unusable(text, "the host is not an IP address (nor localhost)");
  }
  if (address.is_unspecified()) {
    return Unusable(text,
                    "a wildcard address cannot be checked against the Host header that "
                    "defends against DNS rebinding; name the one address to listen on");
  }
  ListenAddress listen;
  listen.endpoint = ip::tcp::endpoint(address, static_cast<unsigned short>(port));
  listen.loopback = address.is_loopback();
  return listen;
}

std::string HostAndPort(const boost::asio::ip::tcp::endpoint& endpoint) {
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace inmost::web
