// Noise's HandshakeState (spec 5.3): runs any pattern from the pattern table, message by
// message, and ends in the transport keys. Must never continue after a failed read, never
// hand out transport keys twice, and never reveal keys, DH outputs or psks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/noise/cipher_state.h"
#include "daemon/noise/handshake_config.h"
#include "daemon/noise/limits.h"
#include "inmost/status.h"

namespace inmost::noise {

// The transport CipherStates from Split, oriented for this side.
struct TransportKeys {
  CipherState send;
  CipherState receive;
};

class HandshakeState {
 public:
  // Initialize (spec 5.3): checks that `config` supplies exactly the keys and psks the
  // protocol needs, copies them, and mixes the prologue and pre-message keys into h.
  static Result<HandshakeState> Create(const HandshakeConfig& config);

  HandshakeState(HandshakeState&&) noexcept;
  HandshakeState& operator=(HandshakeState&&) noexcept;
  ~HandshakeState();

  // The next handshake message, carrying `payload`. Fails with FailedPrecondition out of
  // turn and ResourceExhausted when the message would exceed kMaxMessageSize; these leave
  // the state usable. Any later failure makes the state unusable.
  Result<crypto::Bytes> WriteMessage(std::span<const uint8_t> payload);
  // Processes the peer's next handshake message and returns its payload. Any failure
  // (out of turn, malformed, AuthenticationFailed) makes the state unusable.
  Result<crypto::Bytes> ReadMessage(std::span<const uint8_t> message);

  bool IsFinished() const;
  bool IsMyTurnToWrite() const;
  // h: after the handshake, a value both sides share (for channel binding).
  std::span<const uint8_t> HandshakeHash() const;
  // The peer's static public key: given in the config, or learned during the handshake.
  std::optional<crypto::PublicKey> remote_static() const;
  // The transport keys. Only once, and only after the handshake has finished.
  Result<TransportKeys> Split();

 private:
  struct Impl;
  explicit HandshakeState(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;  // Null only when moved from.
};

}  // namespace inmost::noise
