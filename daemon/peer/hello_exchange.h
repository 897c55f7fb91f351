// The exchange both peer handshakes share (session KK and pairing IKpsk2): message 1
// goes out in a hello, message 2 comes back in one frame, then both sides split.
// Noise steps only, no I/O. It must never hand out keys from an unfinished handshake.
#pragma once

#include <functional>
#include <span>
#include <string_view>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/noise/handshake_state.h"
#include "daemon/peer/hello.h"
#include "inmost/status.h"

namespace inmost::peer {

// The handshake settings every `type` hello shares: the protocol of that type, the
// prologue "inmost/1" || type, and our static key. Callers add the remote key or psks.
noise::HandshakeConfig HelloExchangeConfig(HelloType type, noise::Role role,
                                           const crypto::KeyPair& identity);

struct HelloExchangeStart {
  noise::HandshakeState state;  // Waits for message 2.
  crypto::Bytes hello;          // Hello body: the type, message 1, mac1 for the responder.
};

// What a hello type adds around message 1 inside the hello (the session hello's stamp
// and mac2, session_hello.h); pairing adds nothing.
using WrapMessage1 = std::function<crypto::Bytes(std::span<const uint8_t> message1)>;

// Initiator: creates the handshake from `config`, writes message 1 (empty payload),
// wraps it with `wrap` when given, and puts that in a `type` hello whose mac1 only
// `responder` can check.
Result<HelloExchangeStart> StartHelloExchange(const noise::HandshakeConfig& config, HelloType type,
                                              const crypto::PublicKey& responder,
                                              const WrapMessage1& wrap = nullptr);

// Initiator: reads message 2 and splits. PermissionDenied(`refusal`) when message 2
// does not authenticate or does not finish the handshake.
Result<noise::TransportKeys> FinishHelloExchange(noise::HandshakeState& state,
                                                 std::span<const uint8_t> message2,
                                                 std::string_view refusal);

struct HelloExchangeAnswer {
  crypto::PublicKey initiator_key{};  // Learned from message 1 (IK) or pre-shared (KK).
  crypto::Bytes message2;
  noise::TransportKeys keys;
};

// Responder: reads message 1 of a hello, writes message 2 (empty payload) and splits.
// PermissionDenied(`refusal`) when message 1 does not authenticate.
Result<HelloExchangeAnswer> AnswerHelloExchange(const noise::HandshakeConfig& config,
                                                std::span<const uint8_t> message1,
                                                std::string_view refusal);

}  // namespace inmost::peer
