#include "daemon/control/control_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "daemon/codec/control/json_rpc.h"
#include "daemon/control/control_session.h"
#include "daemon/core/timer.h"

namespace inmost::control {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using Protocol = asio::local::stream_protocol;

// True when a process accepts connections on the socket at `path`, i.e. the file is
// not stale. Non-blocking, so a full backlog counts as "someone is there".
bool SocketIsServed(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  bool served = rc == 0 || errno == EAGAIN || errno == EINPROGRESS;
  ::close(fd);
  return served;
}

std::string ErrnoText() {
  return std::strerror(errno);
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, std::filesystem::path socket_path,
                             RequestHandler& handler, core::EventHub& hub, const core::Clock& clock,
                             log::Logger& logger, ControlLimits limits)
    : io_(io),
      socket_path_(std::move(socket_path)),
      handler_(handler),
      hub_(hub),
      clock_(clock),
      logger_(logger),
      limits_(limits),
      acceptor_(io) {
  output_budget_->drop_slowest_reader = [this] {
    ControlSession* slowest = nullptr;
    auto stalled_longer = [](const ControlSession& a, const ControlSession& b) {
      if (a.output_stalled_since() != b.output_stalled_since()) {
        return a.output_stalled_since() < b.output_stalled_since();
      }
      return a.queued_output_bytes() > b.queued_output_bytes();
    };
    for (const auto& [id, session] : sessions_) {
      if (session->queued_output_bytes() == 0) continue;
      if (slowest == nullptr || stalled_longer(*session, *slowest)) {
        slowest = session.get();
      }
    }
    if (slowest != nullptr) slowest->DropAsSlowReader();
  };
}

ControlServer::~ControlServer() {
  output_budget_->drop_slowest_reader = nullptr;  // Sessions may outlive the server.
  Stop();
  *alive_ = false;
}

Status ControlServer::Start() {
  if (started_ || stopped_) return FailedPrecondition("the control server was already started");
  const std::string path = socket_path_.string();
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return InvalidArgument("the control socket path " + path + " is " +
                           std::to_string(path.size()) + " bytes long; Unix sockets allow " +
                           std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                           "; choose a shorter data directory");
  }
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return FailedPrecondition(path + " exists and is not a socket; move it away");
    }
    if (SocketIsServed(path)) {
      return AlreadyExists("another inmostd already serves " + path);
    }
    if (::unlink(path.c_str()) != 0) {
      return IoError("cannot remove the stale control socket " + path + ": " + ErrnoText());
    }
  }

  boost::system::error_code ec;
  acceptor_.open(Protocol(), ec);
  if (ec) return IoError("cannot create the control socket: " + ec.message());
  // The umask closes the window between bind() and chmod() in which another user
  // could connect; the chmod makes the mode exact whatever the umask was.
  mode_t old_umask = ::umask(0177);
  acceptor_.bind(Protocol::endpoint(path), ec);
  ::umask(old_umask);
  if (ec) {
    acceptor_.close();
    return IoError("cannot bind the control socket " + path + ": " + ec.message());
  }
  if (::chmod(path.c_str(), 0600) != 0) {
    Status status = IoError("cannot make " + path + " private (mode 0600): " + ErrnoText());
    acceptor_.close();
    ::unlink(path.c_str());
    return status;
  }
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.close();
    ::unlink(path.c_str());
    return IoError("cannot listen on the control socket " + path + ": " + ec.message());
  }
  started_ = true;
  asio::co_spawn(io_, AcceptLoop(), [this, alive = alive_](std::exception_ptr error) {
    if (error && *alive) logger_.Error("control socket: accepting stopped on an internal error");
  });
  logger_.Info("control socket listening at " + path);
  return Status::Ok();
}

void ControlServer::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  auto sessions = std::move(sessions_);  // Each Stop() reports back to erase itself.
  sessions_.clear();
  for (auto& [id, session] : sessions) session->Stop();
  std::error_code not_removed;  // Already gone is fine.
  std::filesystem::remove(socket_path_, not_removed);
  logger_.Info("control socket closed");
}

awaitable<void> ControlServer::AcceptLoop() {
  std::shared_ptr<bool> alive = alive_;
  while (true) {
    Protocol::socket socket(io_);
    boost::system::error_code ec;
    co_await acceptor_.async_accept(socket, redirect_error(use_awaitable, ec));
    if (!*alive || stopped_) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Most likely out of file descriptors: pause rather than spin.
      logger_.Warning("control socket: accept failed: " + ec.message());
      core::Timer pause(io_, clock_);
      co_await pause.WaitFor(std::chrono::milliseconds(100));
      if (!*alive || stopped_) co_return;
      continue;
    }
    if (sessions_.size() >= limits_.max_clients) {
      RejectBusy(std::move(socket));
      continue;
    }
    uint64_t id = next_session_id_++;
    auto session = std::make_shared<ControlSession>(id, std::move(socket), handler_, hub_, clock_,
                                                    logger_, limits_, output_budget_,
                                                    [this, alive](uint64_t closed_id) {
                                                      if (!*alive) return;
                                                      sessions_.erase(closed_id);
                                                      handler_.SessionClosed(closed_id);
                                                    });
    sessions_.emplace(id, session);
    session->Start();
  }
}

void ControlServer::RejectBusy(Protocol::socket socket) {
  logger_.Warning("control socket: refused a client, " + std::to_string(sessions_.size()) +
                  " are connected (the limit)");
  std::string line =
      JsonRpcErrorReply("null", JsonRpcApplicationError(ResourceExhausted(
                                    "too many control clients (limit " +
                                    std::to_string(limits_.max_clients) + "); try again later"))) +
      "\n";
  // A fresh socket's send buffer takes one short line; never wait for it.
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(line), ignored);
  socket.close(ignored);
}

}  // namespace inmost::control
