// One PeerMessage in one Noise transport message: serialize and encrypt, decrypt and
// parse. Associated data is empty. Plaintext copies are wiped after use; this layer
// must never log or keep message content.
#pragma once

#include <cstddef>
#include <span>

#include "daemon/crypto/bytes.h"
#include "daemon/noise/cipher_state.h"
#include "daemon/noise/limits.h"
#include "inmost/status.h"
#include "proto/peer.pb.h"

namespace inmost::peer {

// The largest serialized PeerMessage that fits one transport message.
inline constexpr size_t kMaxPeerMessageSize = noise::kMaxMessageSize - noise::kTagSize;

// The transport message carrying `message`. ResourceExhausted when it is too large.
Result<crypto::Bytes> SealPeerMessage(noise::CipherState& send, const PeerMessage& message);

// The PeerMessage in `ciphertext`. AuthenticationFailed when it does not decrypt,
// Corruption when the plaintext is not a PeerMessage. A message with an unknown or
// unset kind parses fine: it is a newer partner's, not an error.
Result<PeerMessage> OpenPeerMessage(noise::CipherState& receive,
                                    std::span<const uint8_t> ciphertext);

}  // namespace inmost::peer
