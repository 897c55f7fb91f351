#include "daemon/peer/session.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "daemon/codec/peer/transport_message.h"
#include "daemon/config/test_hooks.h"
#include "daemon/crypto/wipe.h"
#include "daemon/peer/address.h"
#include "daemon/peer/socket_io.h"

namespace inmost::peer {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::string Millis(std::chrono::milliseconds duration) {
  return std::to_string(duration.count()) + " ms";
}

}  // namespace

Session::Session(tcp::socket socket, wire::FrameDecoder decoder, noise::TransportKeys keys,
                 Role role, const crypto::PublicKey& initiator_key, uint64_t id,
                 std::weak_ptr<Observer> observer, const core::Clock& clock, SessionOptions options)
    : socket_(std::move(socket)),
      decoder_(std::move(decoder)),
      keys_(std::move(keys)),
      role_(role),
      initiator_key_(initiator_key),
      id_(id),
      observer_(std::move(observer)),
      clock_(clock),
      options_(options),
      read_buffer_(kSessionReadChunk),
      write_signal_(socket_.get_executor()),
      watchdog_timer_(socket_.get_executor(), clock) {}

void Session::Start() {
  if (started_) return;
  started_ = true;
  config::AppendNoiseKeyLog(keys_);
  const auto now = clock_.SteadyNow();
  started_at_ = now;
  last_received_ = now;
  last_sent_ = now;
  boost::system::error_code ec;
  local_endpoint_ = socket_.local_endpoint(ec);
  if (!ec) local_address_ = FormatEndpoint(local_endpoint_);
  const auto remote = socket_.remote_endpoint(ec);
  if (!ec) remote_address_ = FormatEndpoint(remote);
  if (!options_.remote_name.empty()) remote_address_ = options_.remote_name;
  // The writer already gathers queued frames into one write; Nagle would only hold
  // a second burst back until the partner's delayed ACK (about 40 ms).
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);

  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), ReadLoop(self), RethrowCoroutineException);
  asio::co_spawn(socket_.get_executor(), WriteLoop(self), RethrowCoroutineException);
  asio::co_spawn(socket_.get_executor(), Watchdog(self), RethrowCoroutineException);

  if (role_ == Role::kInitiator) {
    confirmed_ = true;
    established_at_ = now;
    // Key confirmation: proves to the responder that this session is not a replay.
    PeerMessage keepalive;
    keepalive.mutable_keepalive();
    Send(keepalive);
  }
}

bool Session::Send(const PeerMessage& message) {
  if (!open_ || retired_) return false;
  const size_t size = message.ByteSizeLong();
  // Too large for one transport message: refused, but the session itself is fine.
  if (size > kMaxPeerMessageSize) return false;
  const size_t frame_size = wire::kFrameHeaderSize + size + noise::kTagSize;
  if (queued_bytes_ + frame_size > options_.max_queued_bytes) {
    Close("the partner is not reading (write queue full)");
    return false;
  }
  auto ciphertext = SealPeerMessage(keys_.send, message);
  if (!ciphertext.ok()) {
    Close("cannot encrypt: " + ciphertext.status().message());
    return false;
  }
  ++messages_sent_;
  if (options_.rekey_after_messages != 0 && messages_sent_ % options_.rekey_after_messages == 0) {
    keys_.send.Rekey();
  }
  auto frame = wire::EncodeFrame(*ciphertext);
  if (!frame.ok()) {
    Close("cannot frame a transport message: " + frame.status().message());
    return false;
  }
  queued_bytes_ += frame->size();
  write_queue_.push_back(std::move(*frame));
  last_sent_ = clock_.SteadyNow();
  write_signal_.cancel();
  return true;
}

void Session::Close(std::string reason) {
  if (!open_) return;
  open_ = false;
  CloseQuietly(socket_);
  write_signal_.cancel();
  watchdog_timer_.Cancel();
  write_queue_.clear();
  queued_bytes_ = 0;
  // Posted, so that a Close inside Send never calls back into whoever called Send.
  asio::post(socket_.get_executor(), [self = shared_from_this(), reason = std::move(reason)] {
    if (auto observer = self->observer_.lock()) observer->OnSessionClosed(*self, reason);
  });
}

void Session::Retire(std::chrono::milliseconds linger) {
  if (!open_ || retired_) return;
  retired_ = true;
  retire_deadline_ = clock_.SteadyNow() + linger;
  write_signal_.cancel();    // The writer flushes, then half-closes.
  watchdog_timer_.Cancel();  // The watchdog stops keepalives and enforces `linger`.
}

asio::awaitable<void> Session::ReadLoop(std::shared_ptr<Session> /*keep_alive*/) {
  while (open_) {
    if (!DrainFrames()) co_return;
    boost::system::error_code ec;
    const size_t n = co_await socket_.async_read_some(
        asio::buffer(read_buffer_), asio::redirect_error(asio::use_awaitable, ec));
    if (!open_) co_return;
    if (ec == asio::error::eof) {
      // The partner sends nothing more; what we queued may still be read on its side
      // (it may have retired this session and be draining it), so flush, then close.
      std::string reason =
          retired_ ? "retired, and the partner closed it too" : "the partner closed the connection";
      if (write_queue_.empty()) {
        Close(std::move(reason));
      } else {
        close_when_flushed_ = std::move(reason);
        Retire(options_.confirm_timeout);
      }
      co_return;
    }
    if (ec == asio::error::connection_reset) {
      Close("the partner reset the connection");
      co_return;
    }
    if (ec) {
      Close("read failed: " + ec.message());
      co_return;
    }
    last_received_ = clock_.SteadyNow();
    decoder_.Feed(std::span<const uint8_t>(read_buffer_.data(), n));
  }
}

bool Session::DrainFrames() {
  while (open_) {
    auto next = decoder_.Next();
    if (!next.ok()) {
      Close("protocol error: malformed frame");
      return false;
    }
    if (!next->has_value()) return true;
    auto message = OpenPeerMessage(keys_.receive, **next);
    if (!message.ok()) {
      Close(message.status().code() == Code::kAuthenticationFailed
                ? "a transport message failed to decrypt"
                : "protocol error: a transport message is not a peer message");
      return false;
    }
    ++messages_received_;
    if (options_.rekey_after_messages != 0 &&
        messages_received_ % options_.rekey_after_messages == 0) {
      keys_.receive.Rekey();
    }
    auto observer = observer_.lock();
    if (!observer) {
      Close("the link is gone");
      return false;
    }
    if (!confirmed_) {
      confirmed_ = true;
      established_at_ = clock_.SteadyNow();
      observer->OnSessionConfirmed(*this);
      if (!open_) return false;
    }
    observer->OnSessionMessage(*this, *message);
    // It may carry an envelope's key, a file's key or a pairing's addresses: none
    // outlives its handling in ordinary memory.
    crypto::WipeMessage(*message);
  }
  return false;
}

asio::awaitable<void> Session::WriteLoop(std::shared_ptr<Session> /*keep_alive*/) {
  while (open_) {
    boost::system::error_code ec;
    if (write_queue_.empty()) {
      if (close_when_flushed_) {
        Close(std::move(*close_when_flushed_));
        co_return;
      }
      if (retired_) {
        // Everything queued is out: tell the partner nothing more comes on this session.
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        co_return;
      }
      // Timer as signal: Send (and Retire) cancel it when there is something to do.
      write_signal_.expires_at(asio::steady_timer::time_point::max());
      co_await write_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    // Everything queued goes out in one gathered write: one frame per write would
    // let each of the daemon's fsyncs slip in between frames, and the partner would
    // then store (and sync) one message per batch.
    std::vector<crypto::Bytes> frames(std::make_move_iterator(write_queue_.begin()),
                                      std::make_move_iterator(write_queue_.end()));
    write_queue_.clear();
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(frames.size());
    size_t bytes = 0;
    for (const auto& frame : frames) {
      buffers.push_back(asio::buffer(frame));
      bytes += frame.size();
    }
    co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
    if (!open_) co_return;
    queued_bytes_ -= std::min(queued_bytes_, bytes);
    if (ec) {
      Close("write failed: " + ec.message());
      co_return;
    }
    if (write_queue_.empty() && !retired_) {
      if (auto observer = observer_.lock()) observer->OnSessionDrained(*this);
    }
  }
}

asio::awaitable<void> Session::Watchdog(std::shared_ptr<Session> /*keep_alive*/) {
  while (open_) {
    const auto now = clock_.SteadyNow();
    if (retired_) {
      if (now >= retire_deadline_) {
        Close(close_when_flushed_ ? *close_when_flushed_ : "retired");
        co_return;
      }
      co_await watchdog_timer_.WaitUntil(retire_deadline_);
      continue;
    }
    if (!confirmed_ && now - started_at_ >= options_.confirm_timeout) {
      Close("the partner did not confirm the session within " + Millis(options_.confirm_timeout));
      co_return;
    }
    if (now - last_received_ >= options_.dead_after) {
      Close("nothing received for " + Millis(options_.dead_after));
      co_return;
    }
    if (now - last_sent_ >= options_.keepalive_interval) {
      PeerMessage keepalive;
      keepalive.mutable_keepalive();
      if (!Send(keepalive)) co_return;
    }
    auto next =
        std::min(last_received_ + options_.dead_after, last_sent_ + options_.keepalive_interval);
    if (!confirmed_) next = std::min(next, started_at_ + options_.confirm_timeout);
    co_await watchdog_timer_.WaitUntil(next);
  }
}

}  // namespace inmost::peer
