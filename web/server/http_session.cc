#include "web/server/http_session.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <vector>

#include "web/server/request_target.h"
#include "web/server/socket_bridge.h"

namespace inmost::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;

// How long a connection may sit between requests, or take to send one.
constexpr std::chrono::seconds kIdleTimeout(60);
// After a last answer, what is still read and dropped so that closing does not reset
// the connection before the browser has read the answer (unread input makes a RST).
constexpr std::chrono::seconds kLingerTimeout(2);
constexpr size_t kMaxLingerBytes = 1 << 20;

}  // namespace

HttpSession::HttpSession(beast::tcp_stream stream, std::shared_ptr<WebSite> site, uint64_t id)
    : stream_(std::move(stream)), site_(std::move(site)), id_(id) {
  ++site_->open_connections;
}

HttpSession::~HttpSession() {
  --site_->open_connections;
}

awaitable<void> HttpSession::Serve(std::shared_ptr<HttpSession> self) {
  co_await self->Run();
}

awaitable<void> HttpSession::Run() {
  beast::flat_buffer buffer(2 * kMaxRequestHeaderBytes);
  while (true) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kMaxRequestHeaderBytes);
    stream_.expires_after(kIdleTimeout);
    boost::system::error_code ec;
    co_await http::async_read_header(stream_, buffer, parser, redirect_error(use_awaitable, ec));
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      HttpResponse response = TextResponse(http::status::request_header_fields_too_large,
                                           "The request's header is over 8 KiB.", 11);
      co_await Send(response);
      co_return;
    }
    if (ec) co_return;  // Closed, timed out, or not HTTP: nothing to answer.
    const HttpRequest& request = parser.get();
    const bool has_body = parser.chunked() || parser.content_length().value_or(0) > 0;
    RouteDecision decision = Route(site_->gate, request, has_body);
    if (!decision.refusal.empty()) {
      // The path, never the query: it may hold the token.
      site_->Log("refused " + std::string(request.method_string()) + " " +
                 std::string(TargetPath(request.target()).substr(0, 64)) + " (" + decision.refusal +
                 ")");
    }
    if (decision.upgrade) {
      co_await Upgrade(request);
      co_return;
    }
    // A request with a body is answered and the connection closed, unread.
    if (has_body || !request.keep_alive()) decision.response.keep_alive(false);
    if (!co_await Send(decision.response)) co_return;
  }
}

awaitable<bool> HttpSession::Send(HttpResponse& response) {
  boost::system::error_code ec;
  stream_.expires_after(kIdleTimeout);
  co_await http::async_write(stream_, response, redirect_error(use_awaitable, ec));
  if (ec || !response.keep_alive()) {
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    if (!ec) co_await Linger();
    co_return false;
  }
  co_return true;
}

awaitable<void> HttpSession::Linger() {
  // On the heap: a coroutine frame holding the buffer trips GCC 12's
  // -Wmismatched-new-delete (a false positive) in the sanitizer builds.
  std::vector<char> sink(4096);
  size_t dropped = 0;
  stream_.expires_after(kLingerTimeout);
  while (dropped < kMaxLingerBytes) {
    boost::system::error_code ec;
    size_t n =
        co_await stream_.async_read_some(asio::buffer(sink), redirect_error(use_awaitable, ec));
    if (ec) break;  // The browser's end of input, or the deadline.
    dropped += n;
  }
}

awaitable<void> HttpSession::Upgrade(const HttpRequest& request) {
  // Each page gets its own connection to the daemon, made before accepting, so a
  // daemon that is down is told as 503 and the page retries.
  SocketBridge::DaemonSocket daemon(stream_.get_executor());
  boost::system::error_code ec;
  asio::local::stream_protocol::endpoint endpoint(site_->control_socket);
  co_await daemon.async_connect(endpoint, redirect_error(use_awaitable, ec));
  if (ec) {
    site_->Log("WebSocket refused: the daemon is not reachable at " + site_->control_socket + " (" +
               ec.message() + ")");
    HttpResponse response = TextResponse(
        http::status::service_unavailable,
        "The inmost daemon is not running (or restarting); the page retries.", request.version());
    co_await Send(response);
    co_return;
  }
  stream_.expires_never();  // The WebSocket keeps its own timeouts.
  SocketBridge::PageSocket page(std::move(stream_));
  page.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  page.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { AddSecurityHeaders(response.base()); }));
  page.read_message_max(kMaxPageMessageBytes);
  co_await page.async_accept(request, redirect_error(use_awaitable, ec));
  if (ec) co_return;
  site_->Log("WebSocket " + std::to_string(id_) + " opened");
  auto bridge = std::make_shared<SocketBridge>(std::move(page), std::move(daemon), site_, id_);
  co_await SocketBridge::Run(bridge);
  site_->Log("WebSocket " + std::to_string(id_) + " closed");
}

}  // namespace inmost::web
