// First pairing over Noise IKpsk2, keyed by an invite's one-time secret. Both sides'
// conversations over an already connected socket. It must never complete a pairing
// the listener did not make durable, nor reveal whether a secret was almost right.
//
//   IKpsk2:
//     <- s                 (pre-message: the joiner knows the inviter's key from the invite)
//     ...
//     -> e, es, s, ss      message 1, in a kPairing hello (payload empty)
//     <- e, ee, se, psk    message 2 (payload empty); psk2 mixes the invite secret
//                          into the keys, so a wrong secret fails here for the joiner
//   then transport messages, one PeerMessage each:
//     -> pair_confirm{joiner addresses}   proves the joiner holds the secret
//     <- pair_welcome{inviter addresses}  sent only after the inviter's OnPaired is ok
//   and the inviter closes the connection; the partners then open a KK session.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/partner.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/noise/handshake_state.h"
#include "daemon/peer/asio.h"
#include "daemon/peer/hello_exchange.h"
#include "daemon/wire/frame.h"
#include "inmost/status.h"

namespace inmost::peer {

// What the joiner is told whenever the inviter turns it away; the inviter does not say
// why (wrong secret, invite used or expired, already paired), on purpose.
inline constexpr std::string_view kInviteRefusedMessage =
    "the inviter refused this invite: it may be used or expired";

// Joiner, message 1 "-> e, es, s, ss" in a hello for `inviter`.
Result<HelloExchangeStart> StartPairing(const crypto::KeyPair& identity,
                                        const crypto::PublicKey& inviter,
                                        const crypto::SecretBytes& psk);

// Joiner, message 2 "<- e, ee, se, psk", then Split. PermissionDenied
// (kInviteRefusedMessage) when it does not authenticate: a wrong secret.
Result<noise::TransportKeys> FinishPairing(noise::HandshakeState& state,
                                           std::span<const uint8_t> message2);

// Inviter: reads message 1 (learning the joiner's static key, the answer's
// initiator_key), writes message 2 with the psk, splits. The secret is only checked when the
// joiner's first transport message decrypts.
Result<HelloExchangeAnswer> RespondToPairing(const crypto::KeyPair& identity,
                                             const crypto::SecretBytes& psk,
                                             std::span<const uint8_t> message1);

// The joiner's whole conversation on a connected socket. Returns the addresses in the
// inviter's pair_welcome (possibly empty). PermissionDenied (kInviteRefusedMessage)
// when the inviter closes the connection or message 2 does not authenticate.
boost::asio::awaitable<Result<std::vector<std::string>>> RunJoinerConversation(
    boost::asio::ip::tcp::socket& socket, wire::FrameDecoder& decoder,
    const crypto::KeyPair& identity, crypto::PublicKey inviter, const crypto::SecretBytes& psk,
    std::vector<std::string> my_addresses);

// Called by the inviter once pair_confirm has proven the secret. Makes the pairing
// durable (LinkListener::OnPaired) and returns the addresses for pair_welcome, or an
// error to abort without a welcome.
using PairingDecision = std::function<Result<std::vector<std::string>>(const core::Partner&)>;

// The inviter's conversation after a kPairing hello carrying `message1` arrived.
boost::asio::awaitable<Status> RunInviterConversation(boost::asio::ip::tcp::socket& socket,
                                                      wire::FrameDecoder& decoder,
                                                      const crypto::KeyPair& identity,
                                                      const crypto::SecretBytes& psk,
                                                      crypto::Bytes message1,
                                                      PairingDecision decide);

}  // namespace inmost::peer
