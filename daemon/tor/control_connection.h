// One connection to Tor's control port, over TCP or a Unix socket: commands go out one
// at a time, each waits for its reply under a deadline, and asynchronous events (650)
// go to a handler or a bounded queue. It must never wait for Tor without a bound, read
// a reply without the limits of ReplyReader, nor keep using a stream that went wrong:
// any error, garbage or timeout closes the connection for good.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "daemon/peer/asio.h"
#include "daemon/codec/tor/reply_reader.h"
#include "daemon/core/clock.h"
#include "inmost/status.h"

namespace inmost::tor {

inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{10'000};
inline constexpr std::chrono::milliseconds kDefaultReplyTimeout{10'000};
// Events kept for NextEvent() while nobody takes them; past this the oldest go.
inline constexpr size_t kMaxQueuedEvents = 1024;
// How an address names a Unix socket: "unix:/run/tor/control" (also a bare "/path").
inline constexpr std::string_view kUnixSocketPrefix = "unix:";

// What a connection and its read loop share (control_connection.cc).
struct ControlState;

struct ControlTimeouts {
  std::chrono::milliseconds connect = kDefaultConnectTimeout;
  // For each command's reply, and for the rest of an event once it has begun.
  std::chrono::milliseconds reply = kDefaultReplyTimeout;
};

class ControlConnection {
 public:
  using EventHandler = std::function<void(ControlReply event)>;

  // `clock` (for the deadlines) must outlive the connection and its read loop.
  ControlConnection(boost::asio::io_context& io, const core::Clock& clock,
                    ControlTimeouts timeouts = {});
  ~ControlConnection();
  ControlConnection(const ControlConnection&) = delete;
  ControlConnection& operator=(const ControlConnection&) = delete;

  // Connects to "unix:/PATH", "/PATH" or "HOST:PORT" (a name is resolved) and starts
  // reading. Once per connection. Unavailable when nothing answers there,
  // PermissionDenied when this user may not open the socket, InvalidArgument for a
  // malformed address.
  boost::asio::awaitable<Status> Connect(std::string address);

  // Sends `line` (one line, without CRLF) and returns Tor's reply to it, whatever its
  // status code; `verb` names the command in messages, so a secret argument in `line`
  // never reaches one. Commands from several coroutines wait their turn. Unavailable
  // when no reply comes within the reply timeout (the connection is then closed).
  boost::asio::awaitable<Result<ControlReply>> Command(std::string verb,
                                                       std::span<const uint8_t> line);

  // The next event: at once if one is queued, else the first within `timeout`, else
  // nullopt. The error that closed the connection once it is closed and nothing is
  // queued. One waiter at a time.
  boost::asio::awaitable<Result<std::optional<ControlReply>>> NextEvent(
      std::chrono::milliseconds timeout);

  // From now on events go to `handler` (called on the io thread, in order), not to the
  // queue. An empty handler queues them again.
  void SetEventHandler(EventHandler handler);

  // Closes the connection; a waiting command fails with Unavailable.
  void Close();
  bool open() const;
  // Why the connection is closed (ok while it is open).
  Status closed_status() const;
  // Events dropped because the queue was full.
  size_t dropped_events() const;

 private:
  std::shared_ptr<ControlState> state_;  // Shared with the read loop, which may outlive this.
};

}  // namespace inmost::tor
