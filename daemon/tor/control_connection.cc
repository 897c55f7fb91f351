#include "daemon/tor/control_connection.h"

#include <sodium.h>
#include <sys/un.h>

#include <algorithm>
#include <array>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <deque>
#include <utility>

#include "daemon/peer/address.h"
#include "daemon/peer/socket_io.h"

namespace inmost::tor {

namespace asio = boost::asio;
using asio::ip::tcp;
using Socket = asio::generic::stream_protocol::socket;
using GenericEndpoint = asio::generic::stream_protocol::endpoint;

namespace {

// Bytes asked of the socket per read; replies are split into lines by ReplyReader.
constexpr size_t kReadChunk = 4096;
constexpr std::array<char, 2> kCrlf = {'\r', '\n'};

std::string Milliseconds(std::chrono::milliseconds ms) {
  return std::to_string(ms.count()) + " ms";
}

}  // namespace

struct ControlState {
  ControlState(asio::io_context& io, const core::Clock& c, ControlTimeouts t)
      : socket(io), resolver(io), reply_wake(io), event_wake(io), clock(c), timeouts(t) {}

  Socket socket;
  tcp::resolver resolver;
  ReplyReader reader;
  asio::steady_timer reply_wake;  // Wakes the command waiting for its reply.
  asio::steady_timer event_wake;  // Wakes NextEvent().
  const core::Clock& clock;
  ControlTimeouts timeouts;

  bool connect_started = false;
  bool open = false;
  bool failed = false;
  Status closed = FailedPrecondition("not connected to tor's control port");

  // One command at a time: the one holding the turn, and those waiting for it.
  bool busy = false;
  std::deque<std::shared_ptr<asio::steady_timer>> turn_waiters;
  bool awaiting_reply = false;
  std::optional<Result<ControlReply>> reply;

  std::deque<ControlReply> events;
  size_t dropped_events = 0;
  bool event_waiter = false;
  ControlConnection::EventHandler on_event;
};

namespace {

using State = ControlState;

// Ends the connection for good; the first reason given is the one reported.
void Fail(State& s, Status why) {
  if (!s.failed) {
    s.failed = true;
    s.closed = std::move(why);
  }
  s.open = false;
  boost::system::error_code ignored;
  s.socket.close(ignored);
  s.resolver.cancel();
  if (s.awaiting_reply && !s.reply) {
    s.reply = s.closed;
    s.reply_wake.cancel();
  }
  s.event_wake.cancel();
}

void Dispatch(State& s, ControlReply reply) {
  if (reply.is_event()) {
    if (s.on_event) {
      s.on_event(std::move(reply));
      return;
    }
    if (s.events.size() >= kMaxQueuedEvents) {
      s.events.pop_front();
      ++s.dropped_events;
    }
    s.events.push_back(std::move(reply));
    s.event_wake.cancel();
    return;
  }
  if (!s.awaiting_reply || s.reply) {
    reply.Wipe();
    Fail(s, Corruption("tor's control port sent a reply that no command asked for"));
    return;
  }
  s.reply = std::move(reply);
  s.reply_wake.cancel();
}

asio::awaitable<void> ReadLoop(std::shared_ptr<State> s) {
  std::array<uint8_t, kReadChunk> chunk{};
  while (s->open) {
    // An event, once begun, must end in time too (a command's reply has its own deadline).
    std::optional<peer::Deadline> rest_of_reply;
    if (s->reader.mid_reply()) {
      State* raw = s.get();
      rest_of_reply.emplace(s->socket.get_executor(), s->clock, s->timeouts.reply, [raw] {
        Fail(*raw, Unavailable("tor sent part of a reply on its control port, then nothing for " +
                               Milliseconds(raw->timeouts.reply)));
      });
    }
    boost::system::error_code ec;
    const size_t n = co_await s->socket.async_read_some(
        asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    rest_of_reply.reset();
    if (ec) {
      const std::string where = s->reader.mid_reply() ? " in the middle of a reply" : "";
      if (ec == asio::error::eof || ec == asio::error::connection_reset) {
        Fail(*s, Unavailable("tor closed its control connection" + where));
      } else {
        Fail(*s,
             Unavailable("reading from tor's control port failed" + where + ": " + ec.message()));
      }
      co_return;
    }
    s->reader.Feed(std::span<const uint8_t>(chunk.data(), n));
    sodium_memzero(chunk.data(), n);
    for (;;) {
      auto next = s->reader.Next();
      if (!next.ok()) {
        Fail(*s, next.status());
        co_return;
      }
      if (!next->has_value()) break;
      Dispatch(*s, std::move(**next));
      if (!s->open) co_return;
    }
  }
}

Status SocketError(const std::string& what, const boost::system::error_code& ec) {
  const std::string message =
      "cannot connect to tor's control port at " + what + ": " + ec.message();
  if (ec == asio::error::access_denied) {
    return PermissionDenied(message + " (this user may not open it)");
  }
  if (ec == asio::error::connection_refused ||
      ec == boost::system::errc::no_such_file_or_directory) {
    return Unavailable(message + " (is tor running there?)");
  }
  return Unavailable(message);
}

asio::awaitable<Status> ConnectUnix(State& s, const std::string& path) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) {
    co_return InvalidArgument("tor's control socket path must be 1 to " +
                              std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes long");
  }
  boost::system::error_code ec;
  co_await s.socket.async_connect(GenericEndpoint(asio::local::stream_protocol::endpoint(path)),
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return SocketError(path, ec);
  co_return Status::Ok();
}

asio::awaitable<Status> ConnectTcp(State& s, const std::string& address) {
  auto parsed = peer::ParseHostPort(address);
  if (!parsed.ok()) {
    co_return InvalidArgument("tor's control port must be unix:/PATH, /PATH or HOST:PORT (" +
                              parsed.status().message() + ")");
  }
  std::vector<tcp::endpoint> endpoints;
  boost::system::error_code ec;
  if (auto literal = peer::ParseIpLiteral(parsed->host)) {
    endpoints.emplace_back(*literal, parsed->port);
  } else {
    auto resolved = co_await s.resolver.async_resolve(
        parsed->host, std::to_string(parsed->port), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return Unavailable("cannot resolve tor's control port " + address + ": " + ec.message());
    }
    for (const auto& entry : resolved) endpoints.push_back(entry.endpoint());
  }
  for (const tcp::endpoint& endpoint : endpoints) {
    boost::system::error_code ignored;
    s.socket.close(ignored);
    co_await s.socket.async_connect(GenericEndpoint(endpoint),
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_return Status::Ok();
  }
  co_return SocketError(address, ec);
}

}  // namespace

ControlConnection::ControlConnection(asio::io_context& io, const core::Clock& clock,
                                     ControlTimeouts timeouts)
    : state_(std::make_shared<ControlState>(io, clock, timeouts)) {}

ControlConnection::~ControlConnection() {
  state_->on_event = nullptr;
  Close();
}

asio::awaitable<Status> ControlConnection::Connect(std::string address) {
  std::shared_ptr<State> s = state_;
  if (s->connect_started) co_return FailedPrecondition("this control connection was used already");
  s->connect_started = true;
  State* raw = s.get();
  Status connected;
  {
    peer::Deadline deadline(s->socket.get_executor(), s->clock, s->timeouts.connect, [raw] {
      raw->resolver.cancel();
      boost::system::error_code ignored;
      raw->socket.close(ignored);
    });
    if (address.starts_with(kUnixSocketPrefix)) {
      connected = co_await ConnectUnix(*s, address.substr(kUnixSocketPrefix.size()));
    } else if (address.starts_with('/')) {
      connected = co_await ConnectUnix(*s, address);
    } else {
      connected = co_await ConnectTcp(*s, address);
    }
    if (deadline.expired()) {
      connected = Unavailable("tor's control port at " + address + " did not accept within " +
                              Milliseconds(s->timeouts.connect));
    }
  }
  if (!connected.ok() || s->failed) {
    Fail(*s, connected.ok() ? s->closed : connected);
    co_return s->closed;
  }
  s->open = true;
  asio::co_spawn(s->socket.get_executor(), ReadLoop(s), peer::RethrowCoroutineException);
  co_return Status::Ok();
}

namespace {

asio::awaitable<void> AwaitTurn(std::shared_ptr<State> s) {
  if (!s->busy) {
    s->busy = true;
    co_return;
  }
  auto waiter = std::make_shared<asio::steady_timer>(s->socket.get_executor(),
                                                     asio::steady_timer::time_point::max());
  s->turn_waiters.push_back(waiter);
  boost::system::error_code ec;
  co_await waiter->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  // Woken by PassTurn: the turn is ours and busy stays true.
}

void PassTurn(State& s) {
  if (s.turn_waiters.empty()) {
    s.busy = false;
    return;
  }
  std::shared_ptr<asio::steady_timer> next = std::move(s.turn_waiters.front());
  s.turn_waiters.pop_front();
  next->cancel();  // Its owner is suspended in async_wait: it has waited since it queued.
}

// Holds the turn for the rest of a command, whichever way it ends.
class Turn {
 public:
  explicit Turn(std::shared_ptr<State> s) : s_(std::move(s)) {}
  ~Turn() { PassTurn(*s_); }
  Turn(const Turn&) = delete;
  Turn& operator=(const Turn&) = delete;

 private:
  std::shared_ptr<State> s_;
};

}  // namespace

asio::awaitable<Result<ControlReply>> ControlConnection::Command(std::string verb,
                                                                 std::span<const uint8_t> line) {
  std::shared_ptr<State> s = state_;
  if (std::any_of(line.begin(), line.end(), [](uint8_t b) { return b == '\r' || b == '\n'; })) {
    co_return InvalidArgument("a command to tor (" + verb + ") must be one line");
  }
  if (!s->open) co_return s->closed;
  co_await AwaitTurn(s);
  Turn turn(s);
  if (!s->open) co_return s->closed;
  s->awaiting_reply = true;
  s->reply.reset();
  State* raw = s.get();
  peer::Deadline deadline(s->socket.get_executor(), s->clock, s->timeouts.reply, [raw, verb] {
    Fail(*raw, Unavailable("tor did not answer " + verb + " within " +
                           Milliseconds(raw->timeouts.reply)));
  });
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(line.data(), line.size()),
                                                     asio::buffer(kCrlf)};
  boost::system::error_code ec;
  co_await asio::async_write(s->socket, buffers, asio::redirect_error(asio::use_awaitable, ec));
  if (ec && !s->reply)
    Fail(*s, Unavailable("writing to tor's control port failed: " + ec.message()));
  if (!s->reply) {
    s->reply_wake.expires_at(asio::steady_timer::time_point::max());
    co_await s->reply_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  s->awaiting_reply = false;
  if (!s->reply) co_return Unavailable("no reply from tor to " + verb);  // Not reached.
  Result<ControlReply> reply = std::move(*s->reply);
  s->reply.reset();
  co_return reply;
}

asio::awaitable<Result<std::optional<ControlReply>>> ControlConnection::NextEvent(
    std::chrono::milliseconds timeout) {
  std::shared_ptr<State> s = state_;
  auto take = [&s]() {
    ControlReply event = std::move(s->events.front());
    s->events.pop_front();
    return Result<std::optional<ControlReply>>(std::optional<ControlReply>(std::move(event)));
  };
  if (!s->events.empty()) co_return take();
  if (!s->open) co_return s->closed;
  if (s->event_waiter) {
    co_return FailedPrecondition("another coroutine is already waiting for tor's next event");
  }
  s->event_waiter = true;
  s->event_wake.expires_after(timeout);
  boost::system::error_code ec;
  co_await s->event_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  s->event_waiter = false;
  if (!s->events.empty()) co_return take();
  if (!s->open) co_return s->closed;
  co_return std::optional<ControlReply>();
}

void ControlConnection::SetEventHandler(EventHandler handler) {
  state_->on_event = std::move(handler);
}

void ControlConnection::Close() {
  Fail(*state_, Unavailable("the control connection to tor was closed"));
}

bool ControlConnection::open() const {
  return state_->open;
}

Status ControlConnection::closed_status() const {
  return state_->open ? Status::Ok() : state_->closed;
}

size_t ControlConnection::dropped_events() const {
  return state_->dropped_events;
}

}  // namespace inmost::tor
