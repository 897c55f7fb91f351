#include "daemon/peer/socks5.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

#include "daemon/crypto/bytes.h"
#include "daemon/peer/socket_io.h"

namespace inmost::peer {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// RFC 1928's fields and values, named as there.
constexpr uint8_t kVersion = 0x05;             // VER: protocol version 5.
constexpr uint8_t kMethodNoAuth = 0x00;        // METHOD: NO AUTHENTICATION REQUIRED.
constexpr uint8_t kMethodNoAcceptable = 0xFF;  // METHOD: NO ACCEPTABLE METHODS.
constexpr uint8_t kCmdConnect = 0x01;          // CMD: CONNECT.
constexpr uint8_t kReserved = 0x00;            // RSV.
constexpr uint8_t kAtypIpv4 = 0x01;            // ATYP: IP V4 address, 4 octets.
constexpr uint8_t kAtypDomainName = 0x03;      // ATYP: DOMAINNAME, a length octet first.
constexpr uint8_t kAtypIpv6 = 0x04;            // ATYP: IP V6 address, 16 octets.
constexpr uint8_t kReplySucceeded = 0x00;      // REP: succeeded.
constexpr size_t kMaxDomainNameLength = 255;   // What one length octet can say.
constexpr size_t kIpv4Size = 4;
constexpr size_t kIpv6Size = 16;
constexpr size_t kPortSize = 2;  // DST.PORT and BND.PORT, network octet order.

// The method-selection message: VER, NMETHODS = 1, METHODS = {no authentication}. A
// password would travel in the clear to the proxy, so no other method is offered.
constexpr std::array<uint8_t, 3> kGreeting = {kVersion, 1, kMethodNoAuth};

// curl resolves names itself for socks5:// and leaves them to the proxy for socks5h://;
// inmost always leaves them to the proxy, so both are accepted and mean socks5h.
constexpr std::string_view kSchemes[] = {"socks5", "socks5h"};

std::string Hex(uint8_t value) {
  constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[value >> 4] + kDigits[value & 0xf];
}

// What REP says went wrong, as words for "the proxy could not reach HOST:PORT: ...".
std::string ReplyReason(uint8_t reply) {
  switch (reply) {
    case 0x01:
      return "general SOCKS server failure";
    case 0x02:
      return "connection not allowed by the proxy's rules";
    case 0x03:
      return "network unreachable";
    case 0x04:
      return "host unreachable";
    case 0x05:
      return "connection refused";
    case 0x06:
      return "TTL expired";
    case 0x07:
      return "the proxy does not support the CONNECT command";
    case 0x08:
      return "the proxy does not support this address type";
    // Tor's SocksPort with ExtendedErrors (its proposal 304): why an onion service
    // could not be reached, which says more than "host unreachable".
    case 0xF0:
      return "onion service descriptor not found (a wrong address, or the service is offline)";
    case 0xF1:
      return "onion service descriptor is invalid";
    case 0xF2:
      return "onion service introduction failed";
    case 0xF3:
      return "onion service rendezvous failed";
    case 0xF4:
      return "the onion service requires client authorization";
    case 0xF5:
      return "the onion service refused the client authorization";
    case 0xF6:
      return "not a valid onion address";
    case 0xF7:
      return "onion service introduction timed out";
    default:
      return "unknown reply code " + Hex(reply);
  }
}

// The CONNECT request: VER, CMD, RSV, ATYP, DST.ADDR, DST.PORT. A name goes as a name,
// so the proxy (not us) resolves it; a .onion could not be resolved here anyway.
Result<crypto::Bytes> EncodeConnectRequest(const HostPort& target) {
  crypto::Bytes request = {kVersion, kCmdConnect, kReserved};
  if (auto literal = ParseIpLiteral(target.host)) {
    if (literal->is_v4()) {
      const auto octets = literal->to_v4().to_bytes();
      request.push_back(kAtypIpv4);
      request.insert(request.end(), octets.begin(), octets.end());
    } else {
      const auto octets = literal->to_v6().to_bytes();
      request.push_back(kAtypIpv6);
      request.insert(request.end(), octets.begin(), octets.end());
    }
  } else {
    if (target.host.size() > kMaxDomainNameLength) {
      return InvalidArgument("a host name for the proxy must be at most 255 characters");
    }
    request.push_back(kAtypDomainName);
    request.push_back(static_cast<uint8_t>(target.host.size()));
    const auto name = crypto::AsBytes(target.host);
    request.insert(request.end(), name.begin(), name.end());
  }
  request.push_back(static_cast<uint8_t>(target.port >> 8));
  request.push_back(static_cast<uint8_t>(target.port & 0xff));
  return request;
}

// Reads exactly out.size() bytes and not one more: what follows the proxy's reply is
// the target's stream, for the handshake's frame decoder.
asio::awaitable<boost::system::error_code> ReadExactly(tcp::socket& socket,
                                                       std::span<uint8_t> out) {
  boost::system::error_code ec;
  co_await asio::async_read(socket, asio::buffer(out.data(), out.size()),
                            asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

Status ReadFailed(const boost::system::error_code& ec, const std::string& proxy) {
  if (ec == asio::error::eof || ec == asio::error::connection_reset) {
    return Unavailable("the SOCKS5 proxy at " + proxy +
                       " closed the connection before a complete reply");
  }
  return Unavailable("reading from the SOCKS5 proxy at " + proxy + " failed: " + ec.message());
}

Status WriteFailed(const boost::system::error_code& ec, const std::string& proxy) {
  return Unavailable("writing to the SOCKS5 proxy at " + proxy + " failed: " + ec.message());
}

}  // namespace

Result<HostPort> ParseProxyUrl(std::string_view url) {
  constexpr char kExample[] = "socks5://127.0.0.1:9050";
  const size_t separator = url.find("://");
  if (separator == std::string_view::npos) {
    return InvalidArgument("the proxy must be a URL such as " + std::string(kExample));
  }
  // Schemes are case-insensitive (RFC 3986).
  std::string scheme(url.substr(0, separator));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(std::begin(kSchemes), std::end(kSchemes), scheme) == std::end(kSchemes)) {
    return InvalidArgument("the proxy scheme '" + scheme +
                           "' is not supported; inmost speaks SOCKS5 only, as in " + kExample);
  }
  std::string_view rest = url.substr(separator + 3);
  if (rest.find('@') != std::string_view::npos) {
    return InvalidArgument(
        "a user name or password in the proxy URL is not supported (inmost offers the proxy "
        "only 'no authentication')");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return InvalidArgument("the proxy URL must be just socks5://HOST:PORT, without a path");
  }
  auto address = ParseHostPort(rest);
  if (!address.ok()) {
    return InvalidArgument("the proxy URL needs HOST:PORT after the scheme, as in " +
                           std::string(kExample) + " (" + address.status().message() + ")");
  }
  // 0.0.0.0 and [::] name no host to dial (Linux would quietly dial itself).
  if (auto literal = ParseIpLiteral(address->host); literal && literal->is_unspecified()) {
    return InvalidArgument("the proxy's host must name one machine, not " + address->host);
  }
  return address;
}

std::string JoinHostPort(const HostPort& address) {
  const std::string port = std::to_string(address.port);
  if (address.host.find(':') != std::string::npos) return "[" + address.host + "]:" + port;
  return address.host + ":" + port;
}

asio::awaitable<Status> ConnectThroughSocks5(tcp::socket& socket, tcp::resolver& resolver,
                                             const std::string& proxy, const std::string& target) {
  auto destination = ParseHostPort(target);
  if (!destination.ok()) co_return destination.status();
  auto request = EncodeConnectRequest(*destination);
  if (!request.ok()) co_return request.status();

  // Step 0: a TCP connection to the proxy itself.
  Status connected = co_await Connect(socket, resolver, proxy);
  if (!connected.ok()) {
    co_return Unavailable("the SOCKS5 proxy is unreachable (" + connected.message() + ")");
  }
  boost::system::error_code ec;

  // Step 1: method negotiation. The server answers VER, METHOD.
  co_await asio::async_write(socket, asio::buffer(kGreeting),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return WriteFailed(ec, proxy);
  std::array<uint8_t, 2> selection{};
  ec = co_await ReadExactly(socket, selection);
  if (ec) co_return ReadFailed(ec, proxy);
  if (selection[0] != kVersion) {
    co_return Unavailable("the proxy at " + proxy + " did not answer as a SOCKS5 server (version " +
                          Hex(selection[0]) + ")");
  }
  if (selection[1] == kMethodNoAcceptable) {
    co_return Unavailable("the SOCKS5 proxy at " + proxy +
                          " requires authentication; inmost offers only 'no authentication'");
  }
  if (selection[1] != kMethodNoAuth) {
    co_return Unavailable("the SOCKS5 proxy at " + proxy + " chose method " + Hex(selection[1]) +
                          ", which was not offered");
  }

  // Step 2: the CONNECT request.
  co_await asio::async_write(socket, asio::buffer(*request),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return WriteFailed(ec, proxy);

  // Step 3: the reply: VER, REP, RSV, ATYP, BND.ADDR, BND.PORT. REP decides; the bound
  // address is read in full only so that none of it is left before the target's bytes.
  std::array<uint8_t, 4> header{};
  ec = co_await ReadExactly(socket, header);
  if (ec) co_return ReadFailed(ec, proxy);
  if (header[0] != kVersion) {
    co_return Unavailable("the SOCKS5 proxy at " + proxy + " sent a reply of version " +
                          Hex(header[0]));
  }
  if (header[1] != kReplySucceeded) {
    co_return Unavailable("the proxy could not reach " + target + ": " + ReplyReason(header[1]));
  }
  size_t bound_size = kPortSize;
  switch (header[3]) {
    case kAtypIpv4:
      bound_size += kIpv4Size;
      break;
    case kAtypIpv6:
      bound_size += kIpv6Size;
      break;
    case kAtypDomainName: {
      std::array<uint8_t, 1> length{};
      ec = co_await ReadExactly(socket, length);
      if (ec) co_return ReadFailed(ec, proxy);
      bound_size += length[0];
      break;
    }
    default:
      co_return Unavailable("the SOCKS5 proxy at " + proxy +
                            " sent a reply with the unknown address type " + Hex(header[3]));
  }
  std::array<uint8_t, kMaxDomainNameLength + kPortSize> bound{};
  ec = co_await ReadExactly(socket, std::span<uint8_t>(bound.data(), bound_size));
  if (ec) co_return ReadFailed(ec, proxy);
  co_return Status::Ok();
}

}  // namespace inmost::peer
