// One Noise transport session with the partner over one TCP socket: a reader, a writer
// with a bounded queue, and a watchdog for keepalives and dead links. It must never
// send or accept a frame outside the session's keys, nor outlive a decryption failure.
//
// Every frame is one transport message whose plaintext is one PeerMessage. Each
// direction's CipherState is rekeyed after every `rekey_after_messages` messages in
// that direction (after the N-th, 2N-th, ... message), which both sides can count.
// The initiator's first message is a Keepalive: the responder treats the session as
// confirmed only after decrypting something (see session_handshake.h).
// A replaced session is retired rather than cut: it sends nothing more, flushes its
// queue, half-closes, and keeps reading what the partner already sent until the partner
// hangs up too (or a bound passes), so a switch of sessions loses no message in flight.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/timer.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/noise/handshake_state.h"
#include "daemon/peer/asio.h"
#include "daemon/wire/frame.h"
#include "proto/peer.pb.h"

namespace inmost::peer {

// Bytes asked of the socket per read once the session is up.
inline constexpr size_t kSessionReadChunk = 65536;
// Queued, not yet written bytes beyond which the partner is taken as not reading and
// the session is closed (the core re-sends on the next link up).
inline constexpr size_t kMaxQueuedBytes = 16 * 1024 * 1024;

struct SessionOptions {
  std::chrono::milliseconds keepalive_interval{10000};  // Send a Keepalive when idle this long.
  std::chrono::milliseconds dead_after{30000};          // Close when nothing arrived this long.
  std::chrono::milliseconds confirm_timeout{5000};      // Responder: first message within this.
  uint64_t rekey_after_messages = 1 << 16;              // 0: never rekey.
  size_t max_queued_bytes = kMaxQueuedBytes;
  bool through_tor = false;  // The connection runs through Tor (an onion service).
  std::string remote_name;   // Shown instead of the TCP peer's "host:port" when set.
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  enum class Role { kInitiator, kResponder };

  // Told about the session's life. Calls come from the session's coroutines (never from
  // inside Send or Close), on the io_context thread.
  class Observer {
   public:
    virtual ~Observer() = default;
    // Responder sessions: the first transport message decrypted, so the initiator holds
    // the keys (the session is fresh, not built from a replayed message 1).
    virtual void OnSessionConfirmed(Session& session) = 0;
    // One message from the partner (keepalives included).
    virtual void OnSessionMessage(Session& session, const PeerMessage& message) = 0;
    // The session closed; called once, after Close, from a posted handler.
    virtual void OnSessionClosed(Session& session, const std::string& reason) = 0;
    // Everything queued has been written to the socket.
    virtual void OnSessionDrained(Session& /*session*/) {}
  };

  // `socket` is connected and `decoder` holds whatever arrived after the handshake.
  // `initiator_key` is the static key of the side that sent message 1. The watchdog's
  // times are on `clock`, which must outlive the session.
  Session(boost::asio::ip::tcp::socket socket, wire::FrameDecoder decoder,
          noise::TransportKeys keys, Role role, const crypto::PublicKey& initiator_key, uint64_t id,
          std::weak_ptr<Observer> observer, const core::Clock& clock, SessionOptions options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts the reader, writer and watchdog. An initiator session is confirmed at once
  // and sends its key-confirmation Keepalive.
  void Start();

  // Encrypts `message` and queues it. False when the session is closed or the message
  // cannot be sent (too large; a full queue also closes the session).
  bool Send(const PeerMessage& message);

  // Closes the socket and stops the coroutines; the observer hears of it once.
  void Close(std::string reason);

  // Stops sending (Send returns false from now on), flushes the queue and half-closes;
  // keeps delivering what arrives until the partner closes or `linger` has passed.
  void Retire(std::chrono::milliseconds linger);

  bool open() const { return open_; }
  // Bytes queued and not yet written to the socket.
  size_t queued_bytes() const { return queued_bytes_; }
  bool confirmed() const { return confirmed_; }
  bool retired() const { return retired_; }
  uint64_t id() const { return id_; }
  Role role() const { return role_; }
  const crypto::PublicKey& initiator_key() const { return initiator_key_; }
  // When the session was confirmed (initiator: when it started), on its clock.
  core::SteadyTime established_at() const { return established_at_; }
  // Endpoints as "host:port", captured at Start.
  const std::string& local_address() const { return local_address_; }
  const std::string& remote_address() const { return remote_address_; }
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return local_endpoint_; }
  bool through_tor() const { return options_.through_tor; }

 private:
  boost::asio::awaitable<void> ReadLoop(std::shared_ptr<Session> keep_alive);
  boost::asio::awaitable<void> WriteLoop(std::shared_ptr<Session> keep_alive);
  boost::asio::awaitable<void> Watchdog(std::shared_ptr<Session> keep_alive);
  // Handles every complete frame in the decoder; false once the session is closed.
  bool DrainFrames();

  boost::asio::ip::tcp::socket socket_;
  wire::FrameDecoder decoder_;
  noise::TransportKeys keys_;
  const Role role_;
  const crypto::PublicKey initiator_key_;
  const uint64_t id_;
  std::weak_ptr<Observer> observer_;
  const core::Clock& clock_;
  const SessionOptions options_;

  std::vector<uint8_t> read_buffer_;
  std::deque<crypto::Bytes> write_queue_;  // Encoded frames.
  size_t queued_bytes_ = 0;
  boost::asio::steady_timer write_signal_;  // Cancelled to wake the writer.
  core::Timer watchdog_timer_;

  bool open_ = true;
  bool started_ = false;
  bool confirmed_ = false;
  bool retired_ = false;
  uint64_t messages_sent_ = 0;
  uint64_t messages_received_ = 0;
  core::SteadyTime started_at_{};
  core::SteadyTime established_at_{};
  core::SteadyTime last_received_{};
  core::SteadyTime last_sent_{};
  core::SteadyTime retire_deadline_{};
  // Set when the partner hung up while we still had frames queued: close once they are out.
  std::optional<std::string> close_when_flushed_;
  boost::asio::ip::tcp::endpoint local_endpoint_;
  std::string local_address_;
  std::string remote_address_;
};

}  // namespace inmost::peer
