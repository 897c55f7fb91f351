// The Noise KK handshake that opens a transport session between paired partners.
// Noise steps only, no I/O. It must never accept a static key other than the
// partner's: KK pre-shares both static keys, so message 1 from anyone else fails.
//
//   KK:
//     -> s            (pre-message: both know each other's static key)
//     <- s
//     ...
//     -> e, es, ss    message 1, in the hello (payload empty; the hello's stamp ends
//                     the prologue, so Noise binds it too)
//     <- e, ee, se    message 2, the responder's reply frame (payload empty)
//
// Before any of it, the responder checks the hello's mac2 and stamp (session_hello.h):
// a stranger who knows our public key and a replayed hello cost no DH. After Split,
// the initiator's first transport message is a Keepalive (key confirmation): until the
// responder has decrypted it, the session is not used.
#pragma once

#include <span>

#include "daemon/crypto/key_pair.h"
#include "daemon/noise/handshake_state.h"
#include "daemon/peer/hello_exchange.h"
#include "daemon/peer/session_hello.h"
#include "inmost/status.h"

namespace inmost::peer {

// Initiator, message 1 "-> e, es, ss" for `partner`, in a kSession hello stamped
// `stamp` (HelloStamps::Next) with mac2 under `keys.to_partner`.
Result<HelloExchangeStart> StartSessionHandshake(const crypto::KeyPair& identity,
                                                 const crypto::PublicKey& partner,
                                                 const HelloKeys& keys, const HelloStamp& stamp);

// Initiator, message 2 "<- e, ee, se", then Split. PermissionDenied when the reply
// does not authenticate as the partner.
Result<noise::TransportKeys> FinishSessionHandshake(noise::HandshakeState& state,
                                                    std::span<const uint8_t> message2);

// Responder: reads message 1 "-> e, es, ss" of a hello already opened with
// OpenSessionHello (mac2 and the stamp checked), expecting `partner` as initiator,
// writes message 2 "<- e, ee, se" and splits. PermissionDenied ("refused session from
// an unknown key") when message 1 is not from the partner.
Result<HelloExchangeAnswer> RespondToSessionHandshake(const crypto::KeyPair& identity,
                                                      const crypto::PublicKey& partner,
                                                      const SessionHello& hello);

}  // namespace inmost::peer
