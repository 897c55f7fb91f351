#include "daemon/control/control_session.h"

#include <google/protobuf/descriptor.h>
#include <sodium.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <exception>
#include <utility>

#include "daemon/codec/control/control_frame.h"
#include "daemon/codec/control/json_rpc.h"
#include "daemon/codec/control/request_frame.h"
#include "daemon/crypto/wipe.h"

namespace inmost::control {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using SteadyClock = std::chrono::steady_clock;

// The request type's name ("send", ...) for log lines; never the request's content.
std::string RequestKind(const Request& request) {
  const auto* field = Request::descriptor()->FindFieldByNumber(request.body_case());
  return field == nullptr ? "unknown" : field->name();
}

bool StartsJson(char first) {
  return first == '{' || first == '[' || first == ' ' || first == '\t' || first == '\r' ||
         first == '\n';
}

// A reply on a protobuf connection: a length-prefixed ServerMessage.
std::string EncodeResponse(const Response& response) {
  ServerMessage message;
  *message.mutable_response() = response;
  return EncodeLengthPrefixed(message);
}

Status TooLarge(size_t size, size_t limit) {
  return ResourceExhausted("this request is " + std::to_string(size) +
                           " bytes, over inmostd's limit of " + std::to_string(limit) +
                           " bytes; send something this large as a file (inmost send --file)");
}

}  // namespace

ControlSession::ControlSession(uint64_t id, Socket socket, RequestHandler& handler,
                               core::EventHub& hub, const core::Clock& clock, log::Logger& logger,
                               const ControlLimits& limits, std::shared_ptr<OutputBudget> budget,
                               ClosedCallback on_closed)
    : id_(id),
      socket_(std::move(socket)),
      handler_(handler),
      hub_(hub),
      clock_(clock),
      logger_(logger),
      limits_(limits),
      budget_(std::move(budget)),
      on_closed_(std::move(on_closed)),
      slot_signal_(socket_.get_executor()),
      write_signal_(socket_.get_executor()),
      partial_timer_(socket_.get_executor(), clock),
      partial_deadline_(core::SteadyTime::max()) {
  write_signal_.expires_at(SteadyClock::time_point::max());
  slot_signal_.expires_at(SteadyClock::time_point::max());
}

ControlSession::~ControlSession() {
  if (!budget_released_) budget_->queued -= output_bytes_;
  crypto::WipeString(input_);  // A request cut off midway.
}

void ControlSession::DropAsSlowReader() {
  if (budget_released_) return;
  logger_.Warning(Describe() + " reads too slowly (" + std::to_string(output_bytes_) +
                  " bytes queued) while the control socket's output budget is spent; "
                  "disconnecting");
  budget_->queued -= output_bytes_;
  budget_released_ = true;
  // Free what it will never read now; only the front may be in a write.
  while (output_.size() > 1) {
    output_bytes_ -= output_.back().size();
    output_.pop_back();
  }
  StopSoon();
}

void ControlSession::Start() {
  auto self = shared_from_this();
  // An escaped exception is a bug; it ends this client, never the daemon.
  auto on_done = [self](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      self->logger_.Error(self->Describe() + ": internal error: " + e.what());
    } catch (...) {
      self->logger_.Error(self->Describe() + ": internal error");
    }
    self->Stop();
  };
  asio::co_spawn(
      socket_.get_executor(), [self] { return self->ReadLoop(); }, on_done);
  asio::co_spawn(
      socket_.get_executor(), [self] { return self->WriteLoop(); }, on_done);
  asio::co_spawn(
      socket_.get_executor(), [self] { return self->WatchPartialRequest(); }, on_done);
  logger_.Debug(Describe() + " connected");
}

void ControlSession::Stop() {
  if (stopped_) return;
  auto self = shared_from_this();  // on_closed_ may drop the owner's reference.
  stopped_ = true;
  if (subscription_) {
    hub_.Unsubscribe(*subscription_);
    subscription_.reset();
  }
  boost::system::error_code ignored;
  socket_.close(ignored);
  write_signal_.cancel();
  slot_signal_.cancel();
  partial_timer_.Cancel();
  logger_.Debug(Describe() + " disconnected");
  if (on_closed_) {
    ClosedCallback on_closed = std::move(on_closed_);
    on_closed_ = nullptr;
    on_closed(id_);
  }
}

awaitable<void> ControlSession::ReadLoop() {
  while (!stopped_ && !stopping_ && !closing_) {
    ArmPartialDeadline();
    boost::system::error_code ec;
    size_t n = co_await socket_.async_read_some(asio::buffer(read_chunk_),
                                                redirect_error(use_awaitable, ec));
    DisarmPartialDeadline();
    if (stopped_) co_return;
    if (ec) {
      // End of input: answer what was asked, then close. Anything else: gone.
      if (ec == asio::error::eof) {
        CloseAfterFlush();
      } else {
        logger_.Debug(Describe() + ": read failed: " + ec.message());
        Stop();
      }
      co_return;
    }
    input_.append(read_chunk_.data(), n);
    sodium_memzero(read_chunk_.data(), n);  // Requests carry passphrases and invite codes.

    if (encoding_ == Encoding::kUndetected) {
      // A length prefix below 16 MiB starts with 0x00; JSON starts with '{' or space.
      if (input_[0] == '\0') {
        encoding_ = Encoding::kProtobuf;
      } else if (StartsJson(input_[0])) {
        encoding_ = Encoding::kJsonRpc;
      } else {
        logger_.Debug(Describe() + " speaks an unknown encoding; closing");
        EnqueueLine(JsonRpcErrorReply(
            "null", JsonRpcError{kJsonRpcParseError,
                                 "unknown encoding: send 4-byte length-prefixed protobuf "
                                 "Requests or JSON-RPC 2.0 lines",
                                 "parse_error"}));
        CloseAfterFlush();
        co_return;
      }
    }
    bool keep_open = encoding_ == Encoding::kProtobuf ? co_await ServeProtobufFrames()
                                                      : co_await ServeJsonLines();
    if (!keep_open) {
      CloseAfterFlush();
      co_return;
    }
  }
}

awaitable<bool> ControlSession::ServeProtobufFrames() {
  while (!stopped_ && !stopping_) {
    RequestFrame frame = DecodeRequestFrame(input_, limits_.max_request_bytes);
    if (frame.outcome == RequestFrame::Outcome::kIncomplete) break;  // The rest is on its way.
    if (frame.outcome == RequestFrame::Outcome::kTooLarge) {
      logger_.Warning(Describe() + " sent a request of " + std::to_string(frame.declared_size) +
                      " bytes, over the limit; closing");
      QueueReply(
          EncodeResponse(ErrorResponse(TooLarge(frame.declared_size, limits_.max_request_bytes))));
      co_return false;
    }
    crypto::EraseFront(input_, frame.consumed);
    if (frame.outcome == RequestFrame::Outcome::kMalformed) {
      // The framing is intact, so the stream can go on after this one.
      QueueReply(EncodeResponse(ErrorResponse(
          InvalidArgument("malformed request: not a serialized inmost.control.Request"))));
      continue;
    }
    co_await WaitForRequestSlot();
    Dispatch(std::move(frame.request), &EncodeResponse);
  }
  co_return true;
}

awaitable<bool> ControlSession::ServeJsonLines() {
  while (!stopped_ && !stopping_) {
    size_t newline = input_.find('\n', json_scanned_);
    if (newline == std::string::npos) {
      json_scanned_ = input_.size();
      if (input_.size() > limits_.max_request_bytes) {
        logger_.Warning(Describe() + " sent a line over the request size limit; closing");
        QueueReply(JsonRpcErrorReply("null", JsonRpcApplicationError(TooLarge(
                                                 input_.size(), limits_.max_request_bytes))) +
                   "\n");
        co_return false;
      }
      break;
    }
    if (newline > limits_.max_request_bytes) {
      logger_.Warning(Describe() + " sent a line over the request size limit; closing");
      QueueReply(JsonRpcErrorReply("null", JsonRpcApplicationError(
                                               TooLarge(newline, limits_.max_request_bytes))) +
                 "\n");
      co_return false;
    }
    std::string line = input_.substr(0, newline);
    crypto::WipedOnExit wipe_line(line);
    crypto::EraseFront(input_, newline + 1);
    json_scanned_ = 0;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // Blank line.

    // A line that fails to parse is answered and skipped: lines frame themselves.
    JsonRpcLine parsed = ParseJsonRpcLine(line);
    crypto::WipeString(line);
    if (!parsed.batch) {
      JsonRpcCall& call = parsed.calls.front();
      if (call.error) {
        if (!call.notification) QueueReply(JsonRpcErrorReply(call.id_json, *call.error) + "\n");
        continue;
      }
      co_await WaitForRequestSlot();
      Dispatch(std::move(call.request),
               [id_json = call.id_json, notification = call.notification](const Response& r) {
                 return notification ? std::string() : JsonRpcReply(id_json, r) + "\n";
               });
      continue;
    }
    // A batch: its requests are dispatched in order like separate lines, each reply
    // kept in `replies` (an empty slot in the queue), and one line goes out after them.
    auto replies = std::make_shared<std::vector<std::string>>(parsed.calls.size());
    for (size_t i = 0; i < parsed.calls.size(); ++i) {
      JsonRpcCall& call = parsed.calls[i];
      if (call.error) {
        if (!call.notification) (*replies)[i] = JsonRpcErrorReply(call.id_json, *call.error);
        continue;
      }
      co_await WaitForRequestSlot();
      Dispatch(std::move(call.request), [replies, i, id_json = call.id_json,
                                         notification = call.notification](const Response& r) {
        if (!notification) (*replies)[i] = JsonRpcReply(id_json, r);
        return std::string();
      });
    }
    auto batch = std::make_shared<PendingReply>();
    batch->assemble = [replies] {
      std::string line = JsonRpcBatchReply(*replies);
      return line.empty() ? line : line + "\n";
    };
    replies_.push_back(std::move(batch));
    FlushReadyReplies();
  }
  co_return true;
}

awaitable<void> ControlSession::WaitForRequestSlot() {
  while (in_flight_ >= limits_.max_requests_in_flight && !stopped_) {
    boost::system::error_code ec;
    co_await slot_signal_.async_wait(redirect_error(use_awaitable, ec));
  }
}

void ControlSession::Dispatch(Request&& request, ReplyEncoder&& encode) {
  if (stopped_) return;
  // The request travels in the slot, not as a coroutine parameter: GCC 12
  // mishandles non-trivial by-value coroutine parameters built in another
  // full-expression (a double destruction, seen here).
  auto slot = std::make_shared<PendingReply>();
  slot->request = std::move(request);
  slot->encode = std::move(encode);
  replies_.push_back(slot);
  ++in_flight_;
  // Spawned coroutines start in the order they are spawned (one thread, FIFO), so
  // requests take effect in the order the client sent them.
  asio::co_spawn(socket_.get_executor(), AnswerInto(shared_from_this(), slot), asio::detached);
}

awaitable<void> ControlSession::AnswerInto(std::shared_ptr<ControlSession> self,
                                           std::shared_ptr<PendingReply> slot) {
  Response response = co_await self->Answer(slot->request);
  slot->subscribe = slot->request.has_subscribe() && !response.has_error();
  slot->present = slot->subscribe && slot->request.subscribe().present();
  slot->bytes = slot->encode(response);
  crypto::WipeMessage(response);
  crypto::WipeMessage(slot->request);
  slot->request.Clear();
  slot->encode = nullptr;
  --self->in_flight_;
  self->slot_signal_.cancel_one();
  self->FlushReadyReplies();
}

void ControlSession::QueueReply(std::string bytes) {
  auto slot = std::make_shared<PendingReply>();
  slot->bytes = std::move(bytes);
  replies_.push_back(std::move(slot));
  FlushReadyReplies();
}

void ControlSession::FlushReadyReplies() {
  while (!replies_.empty()) {
    if (!replies_.front()->bytes && replies_.front()->assemble) {
      replies_.front()->bytes = replies_.front()->assemble();
    }
    if (!replies_.front()->bytes) break;
    auto slot = std::move(replies_.front());
    replies_.pop_front();
    if (!slot->bytes->empty()) Enqueue(std::move(*slot->bytes));
    if (slot->subscribe) SubscribeToEvents(slot->present);
  }
  write_signal_.cancel_one();  // The writer may be waiting to close once all are out.
}

awaitable<Response> ControlSession::Answer(const Request& request) {
  Response response;
  if (request.body_case() == Request::BODY_NOT_SET) {
    response =
        ErrorResponse(Unsupported("the request has no body this daemon knows; the daemon "
                                  "may be older than the client"));
  } else if (request.has_subscribe()) {
    response.mutable_subscribe();
  } else {
    try {
      response = co_await handler_.HandleFrom(id_, request);
    } catch (const std::exception& e) {
      logger_.Error(Describe() + ": handling a " + RequestKind(request) +
                    " request failed: " + e.what());
      response = ErrorResponse(Unavailable("the daemon failed to handle the request; see its log"));
    }
  }
  response.set_id(request.id());
  if (response.has_error() && response.error().code_name().empty()) {
    response.mutable_error()->set_code_name(
        std::string(CodeName(static_cast<Code>(response.error().code()))));
  }
  co_return response;
}

void ControlSession::SubscribeToEvents(bool present) {
  if (subscription_ || stopped_ || stopping_ || closing_) return;
  std::weak_ptr<ControlSession> weak = shared_from_this();
  subscription_ = hub_.Subscribe(
      [weak](const Event& event) {
        if (auto self = weak.lock()) self->OnEvent(event);
      },
      present);
}

void ControlSession::OnEvent(const Event& event) {
  if (stopped_ || stopping_ || closing_) return;
  if (encoding_ == Encoding::kProtobuf) {
    ServerMessage message;
    *message.mutable_event() = event;
    EnqueueServerMessage(message);
  } else {
    EnqueueLine(JsonRpcEventNotification(event));
  }
}

void ControlSession::EnqueueServerMessage(const ServerMessage& message) {
  Enqueue(EncodeLengthPrefixed(message));
}

void ControlSession::EnqueueLine(std::string line) {
  line.push_back('\n');
  Enqueue(std::move(line));
}

void ControlSession::Enqueue(std::string bytes) {
  if (stopped_ || stopping_) return;
  // A client with nothing queued may always receive one reply, however large.
  if (output_bytes_ > 0 && output_bytes_ + bytes.size() > limits_.max_queued_output_bytes) {
    logger_.Warning(Describe() + " does not read its replies or events (" +
                    std::to_string(output_bytes_) + " bytes queued); disconnecting");
    StopSoon();
    return;
  }
  if (output_.empty()) output_stalled_since_ = clock_.SteadyNow();
  output_bytes_ += bytes.size();
  output_.push_back(std::move(bytes));
  budget_->queued += output_.back().size();
  while (budget_->queued > limits_.max_total_queued_output_bytes && !stopping_ &&
         budget_->drop_slowest_reader) {
    budget_->drop_slowest_reader();
  }
  if (stopping_) return;
  write_signal_.cancel_one();
}

awaitable<void> ControlSession::WriteLoop() {
  while (!stopped_) {
    boost::system::error_code ec;
    if (output_.empty()) {
      if (closing_ && replies_.empty()) {
        Stop();
        co_return;
      }
      co_await write_signal_.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    co_await asio::async_write(socket_, asio::buffer(output_.front()),
                               redirect_error(use_awaitable, ec));
    if (stopped_) co_return;
    if (ec) {
      logger_.Debug(Describe() + ": write failed: " + ec.message());
      Stop();
      co_return;
    }
    output_bytes_ -= output_.front().size();
    if (!budget_released_) budget_->queued -= output_.front().size();
    crypto::WipeString(output_.front());  // A reply may carry an invite code.
    output_.pop_front();
    output_stalled_since_ = clock_.SteadyNow();
  }
}

awaitable<void> ControlSession::WatchPartialRequest() {
  while (!stopped_) {
    co_await partial_timer_.WaitUntil(partial_deadline_);
    if (stopped_) co_return;
    if (clock_.SteadyNow() >= partial_deadline_) {
      logger_.Warning(Describe() + " sent part of a request, then nothing for " +
                      std::to_string(limits_.partial_request_timeout.count()) +
                      " ms; disconnecting");
      Stop();
      co_return;
    }
  }
}

void ControlSession::CloseAfterFlush() {
  closing_ = true;
  DisarmPartialDeadline();
  write_signal_.cancel();
}

void ControlSession::StopSoon() {
  if (stopping_ || stopped_) return;
  stopping_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Stop(); });
}

void ControlSession::ArmPartialDeadline() {
  if (input_.empty()) return;
  partial_deadline_ = clock_.SteadyNow() + limits_.partial_request_timeout;
  // The watchdog sleeps until the timer's old expiry; wake it to wait for the new one.
  if (partial_deadline_ < partial_timer_.expiry()) partial_timer_.Cancel();
}

void ControlSession::DisarmPartialDeadline() {
  partial_deadline_ = core::SteadyTime::max();
}

std::string ControlSession::Describe() const {
  return "control client " + std::to_string(id_);
}

}  // namespace inmost::control
