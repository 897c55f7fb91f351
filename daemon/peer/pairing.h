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
//
// A daemon whose mac1 the hello does not match (not the inviter: a stranger, or the
// joiner's own daemon) hangs up without a word and does no DH work (hello.h). The
// inviter, whose mac1 it does match, answers instead of message 2 with a short refusal
// frame when it will not pair (no open invite, used or expired; or too many hellos from
// that address): it does so before any DH work, and does not say which of those it was.
// So the joiner tells apart "not the inviter" (hung up on the hello), "the inviter
// refused" (a refusal frame), "a different secret" (message 2 does not authenticate:
// a newer invite replaced this code) and a failed handshake. The refusal frame is not
// authenticated: someone on the path could forge one, as they could cut the connection.
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

// What the joiner is told when the inviter turns it away; the inviter does not say
// why (no open invite: used, expired, or already paired), on purpose.
inline constexpr std::string_view kInviteRefusedMessage =
    "the inviter refused this code: it was used or has expired";
// When message 2 does not authenticate: the inviter's open invite has another secret.
inline constexpr std::string_view kWrongSecretMessage =
    "the inviter refused this code: its open invite is a newer one (this code was replaced)";

// Why the inviter answers a pairing hello with a refusal frame instead of message 2.
enum class PairingRefusal : uint8_t {
  kNoOpenInvite = 1,  // Used, expired, never made, or the inviter is paired.
  kBusy = 2,          // Too many hellos from the joiner's address: try again later.
};
// The refusal frame's body: kRefusalMarker then the reason; far shorter than any
// message 2, so the two cannot be confused.
inline constexpr uint8_t kRefusalMarker = 0xff;
crypto::Bytes PairingRefusalFrame(PairingRefusal why);

// How the joiner's conversation ended when it did not pair.
enum class JoinerFailure {
  kNone,
  kHungUp,       // Closed the connection on the hello: not the inviter.
  kRefused,      // A refusal frame kNoOpenInvite (kInviteRefusedMessage).
  kBusy,         // A refusal frame kBusy.
  kWrongSecret,  // Message 2 did not authenticate (kWrongSecretMessage).
  kFailed,       // Anything else: a broken connection, a malformed answer.
};

// Joiner, message 1 "-> e, es, s, ss" in a hello for `inviter`.
Result<HelloExchangeStart> StartPairing(const crypto::KeyPair& identity,
                                        const crypto::PublicKey& inviter,
                                        const crypto::SecretBytes& psk);

// Joiner, message 2 "<- e, ee, se, psk", then Split. PermissionDenied
// (kWrongSecretMessage) when it does not authenticate: a wrong secret.
Result<noise::TransportKeys> FinishPairing(noise::HandshakeState& state,
                                           std::span<const uint8_t> message2);

// Inviter: reads message 1 (learning the joiner's static key, the answer's
// initiator_key), writes message 2 with the psk, splits. The secret is only checked when the
// joiner's first transport message decrypts.
Result<HelloExchangeAnswer> RespondToPairing(const crypto::KeyPair& identity,
                                             const crypto::SecretBytes& psk,
                                             std::span<const uint8_t> message1);

// The joiner's whole conversation on a connected socket. Returns the addresses in the
// inviter's pair_welcome (possibly empty); on failure sets `failure` to why, with a
// PermissionDenied for kRefused (kInviteRefusedMessage) and kWrongSecret
// (kWrongSecretMessage).
boost::asio::awaitable<Result<std::vector<std::string>>> RunJoinerConversation(
    boost::asio::ip::tcp::socket& socket, wire::FrameDecoder& decoder,
    const crypto::KeyPair& identity, crypto::PublicKey inviter, const crypto::SecretBytes& psk,
    std::vector<std::string> my_addresses, JoinerFailure& failure);

inline constexpr std::string_view kJoinerLacksSecret =
    "it does not hold the open invite's secret (an old or replaced code)";

// Called by the inviter once pair_confirm has proven the secret. Makes the pairing
// durable (LinkListener::OnPaired) and returns the addresses for pair_welcome, or an
// error to abort without a welcome.
using PairingDecision = std::function<Result<std::vector<std::string>>(const core::Partner&)>;

// The inviter's conversation after a kPairing hello carrying `message1` arrived, with
// an invite open. PermissionDenied (kJoinerLacksSecret) when the joiner did not prove
// it holds the secret: its pair_confirm does not open, or it hung up after message 2.
boost::asio::awaitable<Status> RunInviterConversation(boost::asio::ip::tcp::socket& socket,
                                                      wire::FrameDecoder& decoder,
                                                      const crypto::KeyPair& identity,
                                                      const crypto::SecretBytes& psk,
                                                      crypto::Bytes message1,
                                                      PairingDecision decide);

}  // namespace inmost::peer
