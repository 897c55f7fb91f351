#include "web/server/web_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "web/server/http_session.h"

namespace inmost::web {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

// A completion handler for spawned coroutines: a failure is logged, never fatal.
auto LogFailure(std::shared_ptr<WebSite> site) {
  return [site = std::move(site)](std::exception_ptr failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      site->Log(std::string("a connection failed: ") + e.what());
    }
  };
}

awaitable<void> Accept(tcp::acceptor& acceptor, std::shared_ptr<WebSite> site) {
  while (acceptor.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors, most likely: others may close theirs meanwhile.
      site->Log("accept failed: " + ec.message());
      continue;
    }
    if (site->open_connections >= kMaxOpenConnections) {
      site->Log("too many connections at once; closing a new one");
      continue;  // The socket closes as it goes out of scope.
    }
    uint64_t id = ++site->connections;
    auto session =
        std::make_shared<HttpSession>(boost::beast::tcp_stream(std::move(socket)), site, id);
    asio::co_spawn(acceptor.get_executor(), HttpSession::Serve(session), LogFailure(site));
  }
}

}  // namespace

Result<std::unique_ptr<WebServer>> WebServer::Bind(asio::io_context& io,
                                                   const WebServerOptions& options, WebToken token,
                                                   std::ostream& log) {
  tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  const tcp::endpoint& wanted = options.listen.endpoint;
  acceptor.open(wanted.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(wanted, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(Code::kUnavailable, "cannot listen on " + HostAndPort(wanted) + ": " +
                                          ec.message() +
                                          "; choose another --listen address or port");
  }
  tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return Status(Code::kIoError, "cannot read the listening address: " + ec.message());
  auto site = std::make_shared<WebSite>(
      WebSite{WebGate(std::move(token), bound), options.control_socket, log, 0, 0});
  return std::unique_ptr<WebServer>(new WebServer(std::move(acceptor), bound, std::move(site)));
}

WebServer::WebServer(tcp::acceptor acceptor, tcp::endpoint endpoint, std::shared_ptr<WebSite> site)
    : acceptor_(std::move(acceptor)), endpoint_(std::move(endpoint)), site_(std::move(site)) {}

void WebServer::WriteUrl(std::ostream& out) const {
  out << "http://" << HostAndPort(endpoint_) << "/?token=" << site_->gate.token().text() << '\n';
  out.flush();
}

void WebServer::AllowHost(const std::string& host) {
  site_->gate.AllowHost(host);
}

void WebServer::WriteUrlAt(std::ostream& out, const std::string& host) const {
  out << "http://" << host << "/?token=" << site_->gate.token().text() << '\n';
  out.flush();
}

void WebServer::Start() {
  asio::co_spawn(acceptor_.get_executor(), Accept(acceptor_, site_), LogFailure(site_));
}

void WebServer::Stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

}  // namespace inmost::web
