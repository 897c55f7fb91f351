// Sizes fixed by the Noise Protocol Framework (rev 34) for 25519 + ChaChaPoly.
// Constants only: this header must never grow logic or mutable state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "daemon/crypto/key_pair.h"

namespace inmost::noise {

// Every Noise message, handshake or transport, including all overhead (spec 3).
inline constexpr size_t kMaxMessageSize = 65535;
// ChaChaPoly key and authentication tag sizes (spec 5.2, 12.3).
inline constexpr size_t kKeySize = 32;
inline constexpr size_t kTagSize = 16;
// DHLEN for Curve25519 (spec 12.1).
inline constexpr size_t kDhLen = crypto::kX25519KeySize;
// A pre-shared key is 32 bytes (spec 9.1).
inline constexpr size_t kPskSize = 32;
// Nonce 2^64-1 is reserved for Rekey and may never encrypt a message (spec 5.1).
inline constexpr uint64_t kReservedNonce = std::numeric_limits<uint64_t>::max();

}  // namespace inmost::noise
