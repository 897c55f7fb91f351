// The LAN beacon (issue 19): 42 bytes on UDP that tell the partner, and nobody else,
// "I am here, at this port". Only the partner can recognise one: it is sealed
// (XChaCha20-Poly1305) under a key hashed from the pair's beacon secret, the sender's
// side and the 10-minute wall-clock slot, with the sender's source address as
// associated data; the nonce is random. So a beacon carries no key, fingerprint or
// constant identifier, and a stranger cannot tell one slot's beacons from another's or
// replay one from another address. Checking one costs three decryptions of two bytes,
// never Diffie-Hellman work. This is the parser of untrusted input: a fuzz target
// (tests/fuzz/lan_beacon_fuzz.cc) feeds it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::peer {

inline constexpr size_t kBeaconNonceSize = 24;                    // XChaCha20-Poly1305's.
inline constexpr size_t kBeaconSize = kBeaconNonceSize + 2 + 16;  // Nonce, port, tag.
inline constexpr std::chrono::minutes kBeaconSlot{10};
inline constexpr size_t kBeaconSecretSize = 32;

using BeaconBytes = std::array<uint8_t, kBeaconSize>;
using BeaconNonce = std::array<uint8_t, kBeaconNonceSize>;

// Which side of the pair sent a beacon: keys differ per side, so a daemon never takes
// its own beacon (multicast loops back) for the partner's.
enum class BeaconSide : uint8_t { kLowerKey = 0, kHigherKey = 1 };

// The side of the pair whose public key is `key`, the other being `other`.
BeaconSide SideOf(const crypto::PublicKey& key, const crypto::PublicKey& other);

// The pair's beacon secret: BLAKE2b of a label, X25519(own, partner) and both public
// keys, lower first. The same on both sides; fails for a low-order partner key.
Result<crypto::SecretBytes> BeaconSecret(const crypto::KeyPair& own,
                                         const crypto::PublicKey& partner);

// The time slot of wall time `unix_ms` (kBeaconSlot long).
int64_t BeaconSlotAt(int64_t unix_ms);

// A beacon from `side` saying `port`, for slot `slot`, sent from `source` (the 4 or
// 16 bytes of the sending address).
BeaconBytes SealBeacon(const crypto::SecretBytes& secret, BeaconSide side, int64_t slot,
                       std::span<const uint8_t> source, uint16_t port);

// What a recognised beacon says.
struct Beacon {
  uint16_t port = 0;
  BeaconNonce nonce{};  // For the receiver's replay check.
};

// The beacon in `bytes`, if it is one from `side` sealed for a slot within one of
// `slot` and sent from `source`; nullopt for anything else (wrong size, another key,
// slot, side or source, a forgery), without saying which.
std::optional<Beacon> OpenBeacon(const crypto::SecretBytes& secret, BeaconSide side, int64_t slot,
                                 std::span<const uint8_t> source, std::span<const uint8_t> bytes);

}  // namespace inmost::peer
