// Tests of the SOCKS5 client (daemon/peer/socks5.h): proxy URL parsing, and the client
// against a scripted SOCKS5 responder on a loopback socket in this process, which
// records the bytes it is sent and answers what the test says. Each dial runs its own
// io_context until the work is done, bounded by a deadline; no sleeps.
#include "daemon/peer/socks5.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/peer/address.h"
#include "daemon/peer/asio.h"
#include "daemon/peer/socket_io.h"

namespace inmost::peer {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using crypto::Bytes;
using namespace std::chrono_literals;

// A v3 onion name (56 base32 characters): no resolver here could answer for it, so a
// dial that reaches the proxy with it did not resolve it locally.
const std::string kOnion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndfpuqdabc.onion";
const Bytes kGreeting = {0x05, 0x01, 0x00};  // VER 5, one method: no authentication.
const Bytes kNoAuthSelected = {0x05, 0x00};
const Bytes kSucceededIpv4 = {0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0x1f, 0x90};
const Bytes kFromTarget = {'n', 'o', 'i', 's', 'e'};  // Right behind the proxy's reply.

Bytes Concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// What the scripted proxy answers.
struct Script {
  Bytes method_selection = kNoAuthSelected;  // Stops after it unless it is {5, 0}.
  Bytes reply = kSucceededIpv4;              // After reading the CONNECT request.
  Bytes after = kFromTarget;                 // Sent with the reply, as the target's bytes.
};

// What one dial through the scripted proxy came to.
struct Outcome {
  Status status;
  bool proxy_contacted = false;
  Bytes greeting;  // As the proxy received them.
  Bytes request;
  Bytes rest;  // What the client socket held after the dial, up to end of stream.
};

asio::awaitable<void> Write(tcp::socket& socket, const Bytes& bytes) {
  boost::system::error_code ec;
  co_await asio::async_write(socket, asio::buffer(bytes),
                             asio::redirect_error(asio::use_awaitable, ec));
}

// Appends exactly `size` bytes read from `socket` to `out`; false at end of stream.
asio::awaitable<bool> ReadInto(tcp::socket& socket, size_t size, Bytes& out) {
  Bytes chunk(size);
  boost::system::error_code ec;
  co_await asio::async_read(socket, asio::buffer(chunk),
                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return false;
  out.insert(out.end(), chunk.begin(), chunk.end());
  co_return true;
}

// The scripted proxy: one connection, RFC 1928 from the server's side.
asio::awaitable<void> Respond(tcp::acceptor& acceptor, const Script& script, Outcome& outcome) {
  boost::system::error_code ec;
  tcp::socket socket =
      co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  outcome.proxy_contacted = true;
  if (!co_await ReadInto(socket, kGreeting.size(), outcome.greeting)) co_return;
  co_await Write(socket, script.method_selection);
  if (script.method_selection != kNoAuthSelected) co_return;
  // VER CMD RSV ATYP, then DST.ADDR as ATYP says, then DST.PORT.
  if (!co_await ReadInto(socket, 4, outcome.request)) co_return;
  size_t address_size = 0;
  switch (outcome.request[3]) {
    case 0x01:
      address_size = 4;
      break;
    case 0x04:
      address_size = 16;
      break;
    case 0x03:
      if (!co_await ReadInto(socket, 1, outcome.request)) co_return;
      address_size = outcome.request[4];
      break;
    default:
      co_return;
  }
  if (!co_await ReadInto(socket, address_size + 2, outcome.request)) co_return;
  const Bytes answer = Concat(script.reply, script.after);
  co_await Write(socket, answer);
}

asio::awaitable<void> Dial(tcp::socket& socket, tcp::resolver& resolver, const std::string& target,
                           const std::string& proxy, tcp::acceptor& acceptor,
                           std::optional<Status>& status) {
  status = co_await Connect(socket, resolver, target, proxy);
  // Ends the responder's accept when the dial never reached the proxy.
  boost::system::error_code ec;
  acceptor.close(ec);
}

// Dials `target` through the scripted proxy with Connect(..., proxy), as the link does.
Outcome DialThroughScriptedProxy(const std::string& target, const Script& script = {}) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::string proxy = FormatEndpoint(acceptor.local_endpoint());
  tcp::socket socket(io);
  tcp::resolver resolver(io);
  Outcome outcome;
  std::optional<Status> status;
  asio::co_spawn(io, Respond(acceptor, script, outcome), RethrowCoroutineException);
  asio::co_spawn(io, Dial(socket, resolver, target, proxy, acceptor, status),
                 RethrowCoroutineException);
  io.run_for(10s);
  EXPECT_TRUE(status.has_value()) << "the dial did not finish in time";
  if (!status) return outcome;
  outcome.status = *status;
  if (outcome.status.ok()) {
    boost::system::error_code ec;
    uint8_t byte = 0;
    while (asio::read(socket, asio::buffer(&byte, 1), ec) == 1) outcome.rest.push_back(byte);
  }
  return outcome;
}

Bytes Port7433() {
  return {0x1d, 0x09};
}

// ---------------------------------------------------------------------------------------
// ParseProxyUrl.

TEST(Socks5ProxyUrl, AcceptsSocks5AndSocks5h) {
  struct Case {
    const char* url;
    const char* host;
    uint16_t port;
  };
  for (const Case& c : {Case{"socks5://127.0.0.1:9050", "127.0.0.1", 9050},
                        Case{"socks5h://127.0.0.1:9150", "127.0.0.1", 9150},
                        Case{"SOCKS5H://localhost:1080", "localhost", 1080},
                        Case{"socks5://[::1]:9050", "::1", 9050},
                        Case{"socks5://tor.internal:9050/", "tor.internal", 9050}}) {
    auto parsed = ParseProxyUrl(c.url);
    ASSERT_TRUE(parsed.ok()) << c.url << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->host, c.host) << c.url;
    EXPECT_EQ(parsed->port, c.port) << c.url;
  }
}

TEST(Socks5ProxyUrl, RefusesOtherFormsWithAClearMessage) {
  struct Case {
    const char* url;
    const char* message_part;
  };
  for (const Case& c :
       {Case{"", "must be a URL such as socks5://127.0.0.1:9050"},
        Case{"127.0.0.1:9050", "must be a URL"},
        Case{"http://127.0.0.1:8080", "scheme 'http' is not supported"},
        Case{"socks4://127.0.0.1:9050", "scheme 'socks4' is not supported"},
        Case{"socks5://127.0.0.1", "needs HOST:PORT"},
        Case{"socks5://127.0.0.1:", "needs HOST:PORT"},
        Case{"socks5://127.0.0.1:0", "port must be a number from 1 to 65535"},
        Case{"socks5://127.0.0.1:65536", "port must be a number"},
        Case{"socks5://:9050", "needs a host"}, Case{"socks5://::1:9050", "needs brackets"},
        Case{"socks5://user:secret@127.0.0.1:9050", "password"},
        Case{"socks5://127.0.0.1:9050/tor", "without a path"},
        Case{"socks5://0.0.0.0:9050", "one machine"}, Case{"socks5://[::]:9050", "one machine"}}) {
    auto parsed = ParseProxyUrl(c.url);
    ASSERT_FALSE(parsed.ok()) << c.url;
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument) << c.url;
    EXPECT_NE(parsed.status().message().find(c.message_part), std::string::npos)
        << c.url << ": " << parsed.status().message();
  }
}

TEST(Socks5ProxyUrl, JoinHostPortBracketsIpv6) {
  EXPECT_EQ(JoinHostPort({"127.0.0.1", 9050}), "127.0.0.1:9050");
  EXPECT_EQ(JoinHostPort({"::1", 9050}), "[::1]:9050");
  EXPECT_EQ(JoinHostPort({"tor.internal", 9050}), "tor.internal:9050");
}

// ---------------------------------------------------------------------------------------
// CONNECT requests.

TEST(Socks5Connect, OnionNameGoesToTheProxyAsADomainName) {
  const Outcome out = DialThroughScriptedProxy(kOnion + ":7433");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.greeting, kGreeting);
  Bytes expected = {0x05, 0x01, 0x00, 0x03, 62};  // VER CMD=CONNECT RSV ATYP=DOMAINNAME LEN
  expected = Concat(expected, crypto::Bytes(kOnion.begin(), kOnion.end()));
  expected = Concat(expected, Port7433());
  EXPECT_EQ(out.request, expected);
  // The reply was consumed exactly: the target's first bytes are next, all of them.
  EXPECT_EQ(out.rest, kFromTarget);
}

TEST(Socks5Connect, OrdinaryNameIsNotResolvedLocally) {
  // .invalid never resolves (RFC 6761): a local lookup would fail before the proxy.
  const Outcome out = DialThroughScriptedProxy("partner.invalid:443");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  const std::string name = "partner.invalid";
  Bytes expected = {0x05, 0x01, 0x00, 0x03, static_cast<uint8_t>(name.size())};
  expected = Concat(expected, Bytes(name.begin(), name.end()));
  expected = Concat(expected, {0x01, 0xbb});
  EXPECT_EQ(out.request, expected);
}

TEST(Socks5Connect, Ipv4LiteralGoesAsAnAddress) {
  const Outcome out = DialThroughScriptedProxy("192.0.2.7:7433");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.request, Concat({0x05, 0x01, 0x00, 0x01, 192, 0, 2, 7}, Port7433()));
  EXPECT_EQ(out.rest, kFromTarget);
}

TEST(Socks5Connect, Ipv6LiteralGoesAsAnAddress) {
  const Outcome out = DialThroughScriptedProxy("[2001:db8::1]:7433");
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  const Bytes address = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  EXPECT_EQ(out.request, Concat(Concat({0x05, 0x01, 0x00, 0x04}, address), Port7433()));
  EXPECT_EQ(out.rest, kFromTarget);
}

TEST(Socks5Connect, MalformedTargetIsRefusedBeforeContactingTheProxy) {
  const Outcome out = DialThroughScriptedProxy("no-port-here");
  EXPECT_EQ(out.status.code(), Code::kInvalidArgument) << out.status.ToString();
  EXPECT_FALSE(out.proxy_contacted);
}

// ---------------------------------------------------------------------------------------
// Replies.

TEST(Socks5Reply, BoundAddressOfEveryTypeIsReadInFull) {
  const Bytes domain = {'e', 'x', 'i', 't', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e'};
  const Bytes ipv6(16, 0xab);
  for (const Bytes& reply :
       {kSucceededIpv4,
        Concat(Concat({0x05, 0x00, 0x00, 0x03, static_cast<uint8_t>(domain.size())}, domain),
               {0x12, 0x34}),
        Concat(Concat({0x05, 0x00, 0x00, 0x04}, ipv6), {0x12, 0x34}),
        // An empty bound name: nothing but the port follows the length octet.
        Bytes{0x05, 0x00, 0x00, 0x03, 0x00, 0x12, 0x34}}) {
    Script script;
    script.reply = reply;
    const Outcome out = DialThroughScriptedProxy(kOnion + ":7433", script);
    ASSERT_TRUE(out.status.ok()) << "ATYP " << int(reply[3]) << ": " << out.status.ToString();
    EXPECT_EQ(out.rest, kFromTarget) << "ATYP " << int(reply[3]);
  }
}

TEST(Socks5Reply, EveryFailureCodeNamesTheTargetAndTheReason) {
  struct Case {
    uint8_t code;
    const char* reason;
  };
  for (const Case& c :
       {Case{0x01, "general SOCKS server failure"},
        Case{0x02, "connection not allowed by the proxy's rules"},
        Case{0x03, "network unreachable"}, Case{0x04, "host unreachable"},
        Case{0x05, "connection refused"}, Case{0x06, "TTL expired"},
        Case{0x07, "the proxy does not support the CONNECT command"},
        Case{0x08, "the proxy does not support this address type"},
        Case{0x09, "unknown reply code 0x09"}, Case{0xF0, "onion service descriptor not found"}}) {
    Script script;
    script.reply = {0x05, c.code, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
    const Outcome out = DialThroughScriptedProxy(kOnion + ":7433", script);
    EXPECT_EQ(out.status.code(), Code::kUnavailable) << int(c.code);
    EXPECT_EQ(
        out.status.message().rfind("the proxy could not reach " + kOnion + ":7433: " + c.reason, 0),
        0u)
        << out.status.message();
  }
}

TEST(Socks5Reply, ProxyThatAcceptsNoOfferedMethodIsUnavailable) {
  Script script;
  script.method_selection = {0x05, 0xFF};
  const Outcome out = DialThroughScriptedProxy(kOnion + ":7433", script);
  EXPECT_EQ(out.status.code(), Code::kUnavailable);
  EXPECT_NE(out.status.message().find("requires authentication"), std::string::npos)
      << out.status.message();
  EXPECT_TRUE(out.request.empty());
}

TEST(Socks5Reply, MethodThatWasNotOfferedIsUnavailable) {
  Script script;
  script.method_selection = {0x05, 0x02};  // USERNAME/PASSWORD
  const Outcome out = DialThroughScriptedProxy(kOnion + ":7433", script);
  EXPECT_EQ(out.status.code(), Code::kUnavailable);
  EXPECT_NE(out.status.message().find("chose method 0x02, which was not offered"),
            std::string::npos)
      << out.status.message();
}

TEST(Socks5Reply, ServerThatIsNotSocks5IsUnavailable) {
  Script script;
  script.method_selection = {'H', 'T'};  // An HTTP proxy's "HTTP/1.1 400 ..."
  const Outcome out = DialThroughScriptedProxy(kOnion + ":7433", script);
  EXPECT_EQ(out.status.code(), Code::kUnavailable);
  EXPECT_NE(out.status.message().find("did not answer as a SOCKS5 server"), std::string::npos)
      << out.status.message();
}

TEST(Socks5Reply, ReplyOfAnotherVersionIsUnavailable) {
  Script script;
  script.reply = {0x04, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
  const Outcome out = DialThroughScriptedProxy(kOnion + ":7433", script);
  EXPECT_EQ(out.status.code(), Code::kUnavailable);
  EXPECT_NE(out.status.message().find("sent a reply of version 0x04"), std::string::npos)
      << out.status.message();
}

TEST(Socks5Reply, UnknownBoundAddressTypeIsUnavailable) {
  Script script;
  script.reply = {0x05, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0};
  const Outcome out = DialThroughScriptedProxy(kOnion + ":7433", script);
  EXPECT_EQ(out.status.code(), Code::kUnavailable);
  EXPECT_NE(out.status.message().find("unknown address type 0x02"), std::string::npos)
      << out.status.message();
}

TEST(Socks5Reply, TruncatedRepliesAreUnavailable) {
  for (const Bytes& reply :
       {Bytes{0x05, 0x00}, Bytes{0x05, 0x00, 0x00, 0x01, 127, 0}, Bytes{0x05, 0x00, 0x00, 0x03},
        Bytes{0x05, 0x00, 0x00, 0x03, 9, 'a'}}) {
    Script script;
    script.reply = reply;
    script.after = {};
    const Outcome out = DialThroughScriptedProxy(kOnion + ":7433", script);
    EXPECT_EQ(out.status.code(), Code::kUnavailable) << reply.size();
    EXPECT_NE(out.status.message().find("closed the connection before a complete reply"),
              std::string::npos)
        << out.status.message();
  }
}

TEST(Socks5Reply, ProxyClosingAfterTheGreetingIsUnavailable) {
  Script script;
  script.method_selection = {};  // Says nothing and hangs up.
  const Outcome out = DialThroughScriptedProxy(kOnion + ":7433", script);
  EXPECT_EQ(out.status.code(), Code::kUnavailable);
  EXPECT_NE(out.status.message().find("closed the connection"), std::string::npos)
      << out.status.message();
}

// ---------------------------------------------------------------------------------------
// Connect with and without a proxy.

TEST(Socks5Connect, UnreachableProxyIsUnavailableWithoutADirectFallback) {
  asio::io_context io;
  // A port that was free a moment ago: nothing listens there now.
  std::string proxy;
  {
    tcp::acceptor closed(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    proxy = FormatEndpoint(closed.local_endpoint());
  }
  // The target listens, so a direct fallback would succeed.
  tcp::acceptor target(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::string target_address = FormatEndpoint(target.local_endpoint());
  tcp::socket socket(io);
  tcp::resolver resolver(io);
  std::optional<Status> status;
  asio::co_spawn(io, Dial(socket, resolver, target_address, proxy, target, status),
                 RethrowCoroutineException);
  io.run_for(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code(), Code::kUnavailable);
  EXPECT_NE(status->message().find("the SOCKS5 proxy is unreachable (cannot connect to " + proxy),
            std::string::npos)
      << status->message();
}

TEST(Socks5Connect, EmptyProxyDialsDirectly) {
  asio::io_context io;
  tcp::acceptor target(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket socket(io);
  tcp::resolver resolver(io);
  // Named: a coroutine keeps its reference parameters, not the temporaries behind them.
  const std::string target_address = FormatEndpoint(target.local_endpoint());
  const std::string no_proxy;
  std::optional<Status> status;
  asio::co_spawn(io, Dial(socket, resolver, target_address, no_proxy, target, status),
                 RethrowCoroutineException);
  io.run_for(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->ok()) << status->ToString();
}

}  // namespace
}  // namespace inmost::peer
