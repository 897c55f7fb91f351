// Bounded socket steps for the handshakes: connect, read one frame, write one frame,
// each under a Deadline that closes the socket when time is up. They must never read
// more than one frame's worth ahead of the decoder nor wait without a bound.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "daemon/core/clock.h"
#include "daemon/core/timer.h"
#include "daemon/crypto/bytes.h"
#include "daemon/peer/asio.h"
#include "daemon/wire/frame.h"
#include "inmost/status.h"

namespace inmost::peer {

// Bytes asked of the socket per read during a handshake; handshake frames are small.
inline constexpr size_t kHandshakeReadChunk = 4096;

// Runs `on_expire` once if it is still armed when `timeout` has passed on `clock`.
// Disarmed by Disarm() or destruction, so it never calls back into a finished
// coroutine frame.
class Deadline {
 public:
  Deadline(const boost::asio::any_io_executor& executor, const core::Clock& clock,
           std::chrono::milliseconds timeout, std::function<void()> on_expire);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void Disarm();
  bool expired() const { return state_->expired; }

 private:
  struct State {
    bool armed = true;
    bool expired = false;
    std::function<void()> on_expire;
  };
  core::Timer timer_;
  std::shared_ptr<State> state_;  // Shared with the timer's handler.
};

// Connects `socket` to `address` ("host:port"): an IP literal directly, a name through
// `resolver` (first endpoint that accepts). Unavailable with the reason on failure.
boost::asio::awaitable<Status> Connect(boost::asio::ip::tcp::socket& socket,
                                       boost::asio::ip::tcp::resolver& resolver,
                                       const std::string& address);

// As above when `proxy` is empty; otherwise through the SOCKS5 proxy at `proxy`
// ("host:port"), which resolves `address` itself (socks5.h): never a direct fallback.
boost::asio::awaitable<Status> Connect(boost::asio::ip::tcp::socket& socket,
                                       boost::asio::ip::tcp::resolver& resolver,
                                       const std::string& address, const std::string& proxy);

// Reads until `decoder` yields one frame body. Unavailable when the peer closed the
// connection, IoError when the read failed (also when the socket was closed here, as a
// Deadline does), Corruption for a malformed frame.
boost::asio::awaitable<Result<crypto::Bytes>> ReadFrame(boost::asio::ip::tcp::socket& socket,
                                                        wire::FrameDecoder& decoder);

// Writes `body` as one frame; IoError when the write fails.
boost::asio::awaitable<Status> WriteFrame(boost::asio::ip::tcp::socket& socket, crypto::Bytes body);

// Completion handler for co_spawn: every expected failure is a Status, so an exception
// escaping a coroutine is a programmer error and is rethrown out of io_context::run.
inline void RethrowCoroutineException(std::exception_ptr exception) {
  if (exception) std::rethrow_exception(exception);
}

// Closes `socket`, ignoring errors (it may already be closed).
void CloseQuietly(boost::asio::ip::tcp::socket& socket);

}  // namespace inmost::peer
