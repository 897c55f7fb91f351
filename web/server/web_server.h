// `inmost web`'s server: binds the listening socket, makes the run's token, and
// accepts connections, one coroutine each, on the caller's io_context. It never
// opens a browser and never prints the token except in the one URL it is asked for.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <ostream>
#include <string>

#include "inmost/status.h"
#include "web/server/listen_address.h"
#include "web/server/web_site.h"
#include "web/server/web_token.h"

namespace inmost::web {

struct WebServerOptions {
  ListenAddress listen;
  std::string control_socket;  // The daemon's, for each WebSocket's own connection.
};

class WebServer {
 public:
  // Binds `options.listen`; the page then asks for `token` (WebToken::Fresh(), or
  // one kept in a file). Log lines go to `log`.
  static Result<std::unique_ptr<WebServer>> Bind(boost::asio::io_context& io,
                                                 const WebServerOptions& options, WebToken token,
                                                 std::ostream& log);

  // The bound address and port (the system's choice for port 0).
  const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }
  // "http://127.0.0.1:8080/?token=...": the one place the token is written out.
  void WriteUrl(std::ostream& out) const;
  // Serves `host` too (the web onion's address, `inmost web --onion`) and writes its
  // URL, "http://<host>/?token=...".
  void AllowHost(const std::string& host);
  void WriteUrlAt(std::ostream& out, const std::string& host) const;

  // Starts accepting; runs as long as the io_context does.
  void Start();
  // Stops accepting and closes the listening socket.
  void Stop();

 private:
  WebServer(boost::asio::ip::tcp::acceptor acceptor, boost::asio::ip::tcp::endpoint endpoint,
            std::shared_ptr<WebSite> site);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::shared_ptr<WebSite> site_;
};

}  // namespace inmost::web
