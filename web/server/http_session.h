// One browser connection to `inmost web`: reads requests (headers only, bounded),
// answers them through page_routes.h, and hands a checked /ws upgrade to a
// SocketBridge. It never reads a request body nor logs a request's query.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>

#include "web/server/page_routes.h"
#include "web/server/web_site.h"

namespace inmost::web {

// The most a request's header may take (request line and fields).
inline constexpr size_t kMaxRequestHeaderBytes = 8 * 1024;
// Connections served at once (each WebSocket holds one, and one to the daemon, whose
// own limit is 64 clients); more are closed at once, so file descriptors last.
inline constexpr size_t kMaxOpenConnections = 128;

class HttpSession {
 public:
  HttpSession(boost::beast::tcp_stream stream, std::shared_ptr<WebSite> site, uint64_t id);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Serves the connection until it closes, or hands it to the bridge.
  static boost::asio::awaitable<void> Serve(std::shared_ptr<HttpSession> self);

 private:
  boost::asio::awaitable<void> Run();
  // Sends `response`; false when the connection ends with it.
  boost::asio::awaitable<bool> Send(HttpResponse& response);
  boost::asio::awaitable<void> Linger();
  boost::asio::awaitable<void> Upgrade(const HttpRequest& request);

  boost::beast::tcp_stream stream_;
  std::shared_ptr<WebSite> site_;
  uint64_t id_;
};

}  // namespace inmost::web
