// The C++ client library of inmost's control API: a blocking connection to a
// running daemon's control socket, speaking length-prefixed protobuf. It holds no
// keys and never touches the daemon's data; it only asks and listens.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "inmost/control.pb.h"
#include "inmost/status.h"

namespace inmost {

// One connection to the daemon. Not thread-safe: use one Client per thread. A
// connection that failed mid-message is unusable afterwards; make a new one.
//
//   Result<Client> client = Client::Connect(ControlSocketPath(dir));
//   control::Request request;
//   request.mutable_status();
//   Result<control::Response> reply = client->Call(request);
class Client {
 public:
  // Connects to the daemon's control socket at `socket_path`. When no daemon runs
  // there the error is Unavailable, with a message that says how to start one.
  static Result<Client> Connect(const std::string& socket_path);

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // Closes the connection.
  ~Client();

  // Sends `request` and blocks until its response arrives. A request with id 0 is
  // given a fresh id. An error the daemon answered with becomes a non-ok Result
  // with the daemon's code and message; events that arrive meanwhile are kept for
  // NextEvent().
  Result<control::Response> Call(const control::Request& request);

  // Like Call(), but a daemon's error comes back inside the Response; a non-ok
  // Result then always means the connection failed (the daemon is unreachable).
  Result<control::Response> Exchange(const control::Request& request);

  // Writes `request` without waiting for its response, so several requests can be
  // in flight (pipelining); returns the request's id. Read the responses, which
  // come in request order, with ReadResponse(). A request the daemon refuses
  // before it has all of it (over its size limit) is answered all the same: its
  // error response is the next ReadResponse(), and the connection is closed.
  Result<uint64_t> Post(const control::Request& request);

  // Blocks for the next response on this connection (events that arrive meanwhile
  // are kept for NextEvent()). A daemon's error comes back inside the Response.
  Result<control::Response> ReadResponse();

  // Returns the next event, after a subscribe request succeeded. Blocks up to
  // `timeout_ms` milliseconds (-1: for ever) for one to start arriving; on timeout
  // the error is Expired. When the daemon closes the connection it is Unavailable.
  Result<control::Event> NextEvent(int timeout_ms = -1);

  // True when NextEvent() can return an event without reading from the socket,
  // because it arrived during a Call(). Check it before polling fd().
  bool has_buffered_event() const { return !buffered_events_.empty(); }

  // The socket's file descriptor, to poll() for readability alongside other input.
  // It stays owned by the Client.
  int fd() const { return fd_; }

 private:
  explicit Client(int fd) : fd_(fd) {}
  // Reads one ServerMessage (blocking).
  Result<control::ServerMessage> ReadServerMessage();
  void Close();

  int fd_ = -1;
  uint64_t next_request_id_ = 1;
  std::deque<control::Event> buffered_events_;
  std::optional<control::Response> refusal_;  // The answer to a request cut short.
};

}  // namespace inmost
