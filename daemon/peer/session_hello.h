// The session hello's inner layout, which lets the responder refuse a stranger who
// knows its public key and a replayed hello before any DH work: a timestamp that only
// grows, and mac2, a MAC under a key only the two partners can compute. It must never
// do X25519 work per hello: the partners' hello keys are computed once per partner.
//
// Inside a kSession hello (hello.h), between the type byte and mac1:
//
//   stamp      12 bytes TAI64N of the initiator's wall clock, strictly increasing
//   message    n bytes  Noise KK message 1, whose prologue ends with the stamp
//   mac2       16 bytes keyed BLAKE2b-128 over type || stamp || message, keyed with
//                       the hello key from the initiator to the responder
//
// Hello key (initiator I, responder R) = BLAKE2b-256(kHelloKeyLabel ||
// X25519(own static, partner static) || I's public key || R's), so each direction has
// its own key and only the holders of the two static keys can compute either.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::peer {

inline constexpr std::string_view kHelloKeyLabel = "inmost hello key";
// TAI64N: 8 bytes of seconds (2^62 + Unix time), 4 of nanoseconds, big-endian, so
// bytewise order is time order (as WireGuard's initiation timestamp).
inline constexpr size_t kHelloStampSize = 12;
inline constexpr size_t kMac2Size = 16;
inline constexpr size_t kHelloKeySize = 32;

using HelloStamp = std::array<uint8_t, kHelloStampSize>;

// The TAI64N stamp of `unix_ns` nanoseconds since 1970.
HelloStamp StampAt(int64_t unix_ns);

// The two hello keys of a pair, as one side sees them.
struct HelloKeys {
  crypto::SecretBytes to_partner;    // Ours as initiator: our hellos' mac2.
  crypto::SecretBytes from_partner;  // The partner's as initiator: checks its hellos.

  // One X25519 of our static key with the partner's. InvalidArgument for a partner key
  // that is a low-order point.
  static Result<HelloKeys> Derive(const crypto::KeyPair& identity,
                                  const crypto::PublicKey& partner);
};

// The inner body: stamp || message1 || mac2 under `key` (HelloKeys::to_partner),
// where mac2 covers `type_byte` too.
crypto::Bytes SealSessionHello(uint8_t type_byte, const HelloStamp& stamp,
                               std::span<const uint8_t> message1, const crypto::SecretBytes& key);

struct SessionHello {
  HelloStamp stamp{};
  crypto::Bytes message1;
};

// Checks mac2 under `key` (HelloKeys::from_partner) in constant time and splits the
// inner body. InvalidArgument when too short; PermissionDenied("not from the partner")
// when mac2 is wrong: someone who knows our public key but not the partner's secret.
Result<SessionHello> OpenSessionHello(uint8_t type_byte, std::span<const uint8_t> inner,
                                      const crypto::SecretBytes& key);

// Stamps for our own hellos: strictly increasing even when the wall clock stalls or
// steps back a little, so the partner never takes a fresh hello for a replay.
class HelloStamps {
 public:
  // The stamp for a hello sent at `unix_ms`: later than every stamp given before.
  HelloStamp Next(int64_t unix_ms);

 private:
  int64_t last_ns_ = 0;
};

// The newest stamp seen in a partner's hello. A hello whose stamp is not newer is a
// replay (or the slower route of one dial race) and is refused before DH.
class ReplayWindow {
 public:
  // True, and remembers `stamp`, when it is newer than every stamp accepted before.
  bool AcceptIfNewer(const HelloStamp& stamp);
  // Forgets the stamps, for a new partner.
  void Reset() { newest_.reset(); }

 private:
  std::optional<HelloStamp> newest_;
};

}  // namespace inmost::peer
