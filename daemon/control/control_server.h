// The daemon's control socket: a Unix-domain stream socket, mode 0600, on which the
// CLI and scripts talk to the daemon (length-prefixed protobuf or JSON-RPC lines).
// It never interprets requests (RequestHandler does) and never lets one client
// block the daemon or another client.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>

#include "daemon/control/control_limits.h"
#include "daemon/control/request_handler.h"
#include "daemon/core/clock.h"
#include "daemon/core/event_hub.h"
#include "daemon/log/logger.h"
#include "inmost/status.h"

namespace inmost::control {

class ControlSession;

// Accepts control clients and runs one ControlSession per client. Every method must
// be called on the io_context's thread (or before the io_context runs). The
// handler, hub, clock (for its timeouts and pauses) and logger must outlive the server.
class ControlServer {
 public:
  ControlServer(boost::asio::io_context& io, std::filesystem::path socket_path,
                RequestHandler& handler, core::EventHub& hub, const core::Clock& clock,
                log::Logger& logger, ControlLimits limits = {});
  ~ControlServer();  // Stops.
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds the socket (mode 0600) and starts accepting. A stale socket file is
  // removed; a socket another process still serves is AlreadyExists, and a path
  // that is not a socket is left alone (FailedPrecondition).
  Status Start();
  // Closes the socket and every client connection and removes the socket file.
  // Idempotent; a stopped server cannot be started again. Not from inside an
  // EventHub::Publish: it unsubscribes sinks the hub may be iterating over.
  void Stop();

  // Clients connected right now.
  size_t client_count() const { return sessions_.size(); }
  const std::filesystem::path& socket_path() const { return socket_path_; }

 private:
  boost::asio::awaitable<void> AcceptLoop();
  // Tells a client over the limit why, in one JSON line, and closes it.
  void RejectBusy(boost::asio::local::stream_protocol::socket socket);

  boost::asio::io_context& io_;
  const std::filesystem::path socket_path_;
  RequestHandler& handler_;
  core::EventHub& hub_;
  const core::Clock& clock_;
  log::Logger& logger_;
  const ControlLimits limits_;

  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::map<uint64_t, std::shared_ptr<ControlSession>> sessions_;
  std::shared_ptr<OutputBudget> output_budget_ = std::make_shared<OutputBudget>();
  uint64_t next_session_id_ = 1;
  bool started_ = false;
  bool stopped_ = false;
  // Cleared by the destructor, so coroutines that resume after it touch nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace inmost::control
