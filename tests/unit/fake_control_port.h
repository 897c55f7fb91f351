// A scripted stand-in for Tor's control port, for the TorController tests: it accepts
// one connection on loopback TCP or a Unix socket in a temporary directory, records
// every command line, and sends whatever the test's responder returns for it. It runs
// on the test's io_context; it must never listen beyond 127.0.0.1.
#pragma once

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "daemon/peer/address.h"
#include "daemon/peer/asio.h"
#include "daemon/peer/socket_io.h"
#include "tests/unit/temp_dir.h"

namespace inmost::tor::test {

// What the fake sends back for one command line.
struct Answer {
  std::string bytes;   // Sent as they are (the test writes the CRLFs).
  bool close = false;  // Then closes the connection.
};

class FakeControlPort {
 public:
  using Responder = std::function<Answer(const std::string& line)>;
  enum class Transport { kTcp, kUnix };

  FakeControlPort(boost::asio::io_context& io, Responder responder,
                  Transport transport = Transport::kTcp)
      : tcp_(io), unix_(io), responder_(std::move(responder)) {
    namespace asio = boost::asio;
    if (transport == Transport::kTcp) {
      const asio::ip::tcp::endpoint loopback(asio::ip::make_address("127.0.0.1"), 0);
      tcp_.open(loopback.protocol());
      tcp_.bind(loopback);
      tcp_.listen();
      address_ = peer::FormatEndpoint(tcp_.local_endpoint());
      asio::co_spawn(io, Serve(tcp_), peer::RethrowCoroutineException);
    } else {
      const std::string path = (dir_.path() / "control").string();
      unix_.open();
      unix_.bind(asio::local::stream_protocol::endpoint(path));
      unix_.listen();
      address_ = "unix:" + path;
      asio::co_spawn(io, Serve(unix_), peer::RethrowCoroutineException);
    }
  }

  // Where to connect: "127.0.0.1:PORT" or "unix:/tmp/.../control".
  const std::string& address() const { return address_; }
  // The command lines received, without their CRLF.
  const std::vector<std::string>& lines() const { return lines_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  template <typename Acceptor>
  boost::asio::awaitable<void> Serve(Acceptor& acceptor) {
    namespace asio = boost::asio;
    boost::system::error_code ec;
    auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    asio::streambuf buffer;
    for (;;) {
      const size_t n = co_await asio::async_read_until(
          socket, buffer, "\r\n", asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      std::string line(asio::buffers_begin(buffer.data()),
                       asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n - 2));
      buffer.consume(n);
      lines_.push_back(line);
      const Answer answer = responder_(line);
      if (!answer.bytes.empty()) {
        co_await asio::async_write(socket, asio::buffer(answer.bytes),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      if (answer.close || ec) break;
    }
    socket.close(ec);
  }

  inmost::test::TempDir dir_;
  boost::asio::ip::tcp::acceptor tcp_;
  boost::asio::local::stream_protocol::acceptor unix_;
  Responder responder_;
  std::string address_;
  std::vector<std::string> lines_;
};

}  // namespace inmost::tor::test
