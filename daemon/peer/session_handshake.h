// The Noise KK handshake that opens a transport session between paired partners.
// Noise steps only, no I/O. It must never accept a static key other than the
// partner's: KK pre-shares both static keys, so message 1 from anyone else fails.
//
//   KK:
//     -> s            (pre-message: both know each other's static key)
//     <- s
//     ...
//     -> e, es, ss    message 1, in the hello (payload empty)
//     <- e, ee, se    message 2, the responder's reply frame (payload empty)
//
// After Split, the initiator's first transport message is a Keepalive (key
// confirmation): until the responder has decrypted it, a replayed message 1 could
// have produced the responder's session, so the responder does not use it before.
#pragma once

#include <span>

#include "daemon/crypto/key_pair.h"
#include "daemon/noise/handshake_state.h"
#include "daemon/peer/hello_exchange.h"
#include "inmost/status.h"

namespace inmost::peer {

// Initiator, message 1 "-> e, es, ss", wrapped in a hello for `partner`.
Result<HelloExchangeStart> StartSessionHandshake(const crypto::KeyPair& identity,
                                                 const crypto::PublicKey& partner);

// Initiator, message 2 "<- e, ee, se", then Split. PermissionDenied when the reply
// does not authenticate as the partner.
Result<noise::TransportKeys> FinishSessionHandshake(noise::HandshakeState& state,
                                                    std::span<const uint8_t> message2);

// Responder: reads message 1 "-> e, es, ss" expecting `partner` as initiator, writes
// message 2 "<- e, ee, se" and splits. PermissionDenied ("refused session from an
// unknown key") when message 1 is not from the partner.
Result<HelloExchangeAnswer> RespondToSessionHandshake(const crypto::KeyPair& identity,
                                                      const crypto::PublicKey& partner,
                                                      std::span<const uint8_t> message1);

}  // namespace inmost::peer
