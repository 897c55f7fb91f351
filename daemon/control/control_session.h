// One control client's connection: detects its encoding from the first byte, reads
// and answers requests in order, and streams events once it subscribed. It must
// never block the daemon or disturb other clients, whatever the client sends.
#pragma once

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/control/control_limits.h"
#include "daemon/control/request_handler.h"
#include "daemon/core/clock.h"
#include "daemon/core/event_hub.h"
#include "daemon/core/timer.h"
#include "daemon/log/logger.h"
#include "proto/control.pb.h"

namespace inmost::control {

// Modelled on Asio's C++20 chat server: a reader coroutine, a writer coroutine fed
// by a queue and woken by a timer used as a signal, and a watchdog for requests
// that stall half-way. All three hold the session alive; Stop() ends them.
class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;
  // Called once, from Stop(), with the session's id.
  using ClosedCallback = std::function<void(uint64_t session_id)>;

  // `budget` counts this session's queued output with every other session's; the
  // partial-request deadline is on `clock`.
  ControlSession(uint64_t id, Socket socket, RequestHandler& handler, core::EventHub& hub,
                 const core::Clock& clock, log::Logger& logger, const ControlLimits& limits,
                 std::shared_ptr<OutputBudget> budget, ClosedCallback on_closed);
  ~ControlSession();
  ControlSession(const ControlSession&) = delete;
  ControlSession& operator=(const ControlSession&) = delete;

  // Output queued and not yet written to the client.
  size_t queued_output_bytes() const { return budget_released_ ? 0 : output_bytes_; }
  // Since when the client has taken none of its queued output (the last finished
  // write, or the first byte queued after an empty queue); meaningful only while
  // queued_output_bytes() > 0. A client that reads, however far behind, keeps it recent.
  core::SteadyTime output_stalled_since() const { return output_stalled_since_; }
  // Disconnects a client that reads too slowly for the server's output budget.
  void DropAsSlowReader();

  // Starts the coroutines; call once, on a session owned by a shared_ptr.
  void Start();
  // Closes the connection at once, drops queued output and unsubscribes. Idempotent.
  void Stop();

  uint64_t id() const { return id_; }

 private:
  enum class Encoding { kUndetected, kProtobuf, kJsonRpc };

  boost::asio::awaitable<void> ReadLoop();
  boost::asio::awaitable<void> WriteLoop();
  boost::asio::awaitable<void> WatchPartialRequest();

  // Serve the complete requests buffered in input_; false once the connection
  // must end (after its queued output is flushed).
  boost::asio::awaitable<bool> ServeProtobufFrames();
  boost::asio::awaitable<bool> ServeJsonLines();
  // Turns a Response into the bytes to queue ("" for none: a JSON notification).
  using ReplyEncoder = std::function<std::string(const Response&)>;
  // Waits while the client already has max_requests_in_flight requests in hand.
  boost::asio::awaitable<void> WaitForRequestSlot();
  // Starts answering `request` without waiting for it (so a client may pipeline
  // sends); its reply is queued in request order.
  void Dispatch(Request&& request, ReplyEncoder&& encode);
  struct PendingReply;
  // Answers `request` into `slot`, then queues every reply that is ready. A static
  // member taking `self`, so the session outlives the coroutine.
  static boost::asio::awaitable<void> AnswerInto(std::shared_ptr<ControlSession> self,
                                                 std::shared_ptr<PendingReply> slot);
  // Queues a reply that is ready now, behind every earlier one.
  void QueueReply(std::string bytes);
  // Moves the replies that are ready, in request order, to the output queue.
  void FlushReadyReplies();
  // Answers one request: subscribe here, everything else by the handler.
  boost::asio::awaitable<Response> Answer(const Request& request);
  // Starts the event stream after a successful subscribe reply was queued.
  void SubscribeToEvents(bool present);
  void OnEvent(const Event& event);

  void EnqueueServerMessage(const ServerMessage& message);
  void EnqueueLine(std::string line);
  void Enqueue(std::string bytes);
  // Serves no more input; the writer flushes what is queued, then stops.
  void CloseAfterFlush();
  // Stops from a fresh handler, so no caller's state (an EventHub sink that is
  // running, say) is destroyed under it.
  void StopSoon();
  // The partial-request deadline: armed while half a request is buffered.
  void ArmPartialDeadline();
  void DisarmPartialDeadline();
  std::string Describe() const;

  const uint64_t id_;
  Socket socket_;
  RequestHandler& handler_;
  core::EventHub& hub_;
  const core::Clock& clock_;
  log::Logger& logger_;
  const ControlLimits limits_;
  std::shared_ptr<OutputBudget> budget_;
  bool budget_released_ = false;  // Its queued output no longer counts: it is closing.
  ClosedCallback on_closed_;

  Encoding encoding_ = Encoding::kUndetected;
  // Kept out of ReadLoop's coroutine frame, which would otherwise be 16 KiB large.
  std::array<char, 16 * 1024> read_chunk_;
  std::string input_;
  size_t json_scanned_ = 0;  // Bytes of input_ known to hold no newline.
  // Replies in request order; a slot is filled when its request is answered.
  struct PendingReply {
    Request request;      // Until answered.
    ReplyEncoder encode;  // Until answered.
    std::optional<std::string> bytes;
    // A batch's line: made from its requests' replies once it reaches the front
    // (all of them, being earlier in the queue, are answered by then).
    std::function<std::string()> assemble;
    bool subscribe = false;  // Start the event stream once this reply is queued.
    bool present = false;    // ... as a present subscriber (a chat window).
  };
  std::deque<std::shared_ptr<PendingReply>> replies_;
  size_t in_flight_ = 0;
  boost::asio::steady_timer slot_signal_;  // Cancelled when a request finishes.
  std::deque<std::string> output_;
  size_t output_bytes_ = 0;
  core::SteadyTime output_stalled_since_;
  boost::asio::steady_timer write_signal_;
  core::Timer partial_timer_;
  core::SteadyTime partial_deadline_;
  std::optional<uint64_t> subscription_;
  bool closing_ = false;   // Flushing queued output, then stopping.
  bool stopping_ = false;  // A StopSoon() is pending; queue nothing more.
  bool stopped_ = false;
};

}  // namespace inmost::control
