// The hello: the first frame of every peer connection, which says what the dialer
// wants (a session or a pairing) and carries Noise handshake message 1 and mac1.
// Parsing must check mac1 before anything else and never do DH work itself.
//
// Layout of the frame body (the frame is wire::EncodeFrame's 2-byte length + body):
//
//   type       1 byte   kSession (3) or kPairing (2)
//   message    n bytes  kPairing: Noise IKpsk2 message 1; kSession: the stamped and
//                       mac2-protected KK message 1 (session_hello.h)
//   mac1       16 bytes keyed BLAKE2b-128 over type || message, keyed with
//                       Mac1KeyFor(responder's static public key)
//
// The Noise prologue of both protocols is kProloguePrefix || type, so a message
// cannot be moved from one hello type to the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "daemon/crypto/bytes.h"
#include "daemon/peer/handshake_mac.h"
#include "inmost/status.h"

namespace inmost::peer {

enum class HelloType : uint8_t {
  // Inmost before replay protection: its session hellos had no stamp and no mac2.
  // Refused, as a replay of one could not be told from a fresh one.
  kUnstampedSession = 1,
  kPairing = 2,  // First contact with an invite's secret as psk (Noise IKpsk2).
  kSession = 3,  // A transport session between paired partners (Noise KK).
};

// KK: both sides already know each other's static key (paired partners).
inline constexpr std::string_view kSessionProtocolName = "Noise_KK_25519_ChaChaPoly_BLAKE2b";
// IKpsk2: the joiner knows the inviter's key from the invite and proves it holds the
// invite's secret; psk2 mixes the secret into message 2's keys.
inline constexpr std::string_view kPairingProtocolName = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b";
// Versioned protocol label at the start of every prologue.
inline constexpr std::string_view kProloguePrefix = "inmost/1";

// Size of the type byte in front of the handshake message.
inline constexpr size_t kHelloTypeSize = 1;
// The shortest handshake message 1 either protocol produces: KK's e (32) plus the tag of
// its empty encrypted payload (16). Shorter hellos are dropped without more work.
inline constexpr size_t kMinHelloMessageSize = 48;

// kProloguePrefix || type.
crypto::Bytes PrologueFor(HelloType type);

// The hello body for `type` and handshake message 1, with mac1 keyed for the responder.
crypto::Bytes BuildHello(HelloType type, std::span<const uint8_t> message,
                         const Mac1Key& responder_mac_key);

struct Hello {
  HelloType type;
  crypto::Bytes message;  // Noise handshake message 1.
};

// Checks the size and then mac1 under `own_mac_key` (ours, as responder), and only
// then looks at the type. PermissionDenied for a bad mac1 (a stranger, or someone
// who does not know our key), InvalidArgument for a malformed hello, Unsupported for
// an unknown type with a valid mac1 (a newer partner) or kUnstampedSession (an older
// one, told to update).
Result<Hello> ParseHello(std::span<const uint8_t> body, const Mac1Key& own_mac_key);

}  // namespace inmost::peer
