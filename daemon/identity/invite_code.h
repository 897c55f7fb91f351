// Invite codes: the text one partner sends the other (by any channel) to start
// pairing. It carries the inviter's public key, a one-time pairing secret, where
// to reach the inviter and until when. It must never be accepted when damaged,
// expired or oversized, and the secret must never linger in ordinary memory.
//
// Text form (format version 1):
//
//   inmost1-<lowercase RFC 4648 base32 of PAYLOAD || CHECKSUM, no padding>
//
//   PAYLOAD  = version        1 byte, 0x01
//              inviter_key    32 bytes, X25519 public key
//              secret         32 bytes, the one-time Noise IKpsk2 PSK
//              expires_at     8 bytes, unix seconds, unsigned big-endian (<= 2^63-1)
//              address_count  1 byte, 1..kMaxInviteAddresses
//              addresses      address_count times: length (1 byte, 1..255) then that
//                             many ASCII bytes, "host:port" as ValidateAddress accepts
//   CHECKSUM = the first 4 bytes of BLAKE2b-256 (libsodium crypto_generichash,
//              unkeyed) over the ASCII label "inmost invite checksum v1" || PAYLOAD
//
// The final base32 character's unused low bits must be zero, so every code has
// exactly one spelling (apart from case and separators). On parse, letters of
// either case are accepted, and whitespace (spaces, tabs, line breaks) anywhere and
// '-' after the prefix are ignored, so wrapped or grouped copies still work.
// EncodeInvite writes no separators: codes are pasted, not read aloud, and an
// unbroken body stays selectable with one double click.
//
// What future versions keep: the "inmost1-" prefix, the version as the first
// payload byte, and the 4-byte checksum over everything before it at the end, so
// this build can tell "made by a newer inmost" from "mistyped". A different digit
// after "inmost" ("inmost2-") is also reported as made by a newer inmost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/identity/invite_address.h"
#include "inmost/status.h"

namespace inmost::identity {

// The text every invite code starts with.
inline constexpr std::string_view kInvitePrefix = "inmost1-";
// The payload format this build writes and reads.
inline constexpr uint8_t kInviteFormatVersion = 1;
// Size of the one-time pairing secret (the Noise PSK).
inline constexpr size_t kInviteSecretSize = 32;
// Hard limits, because ParseInvite faces untrusted text.
inline constexpr size_t kMaxInviteAddresses = 8;
// The longest input ParseInvite looks at, whitespace and separators included; the
// largest valid code is about 3400 characters.
inline constexpr size_t kMaxInviteTextLength = 8192;

// What an invite code carries. Move-only, because the secret is.
struct Invite {
  crypto::PublicKey inviter_key{};
  crypto::SecretBytes secret;          // kInviteSecretSize bytes.
  std::vector<std::string> addresses;  // 1..kMaxInviteAddresses, each valid.
  int64_t expires_at_unix = 0;         // The invite is void from this second on.
};

// Ok when `invite` can be encoded: a kInviteSecretSize secret, 1..kMaxInviteAddresses
// valid addresses, and a non-negative expiry. Says which rule is broken otherwise.
Status ValidateInvite(const Invite& invite);

// The invite code text for `invite` (see the format above). Passing an invite that
// ValidateInvite refuses is a programmer error and throws std::invalid_argument.
std::string EncodeInvite(const Invite& invite);

// Reads an invite code someone pasted, judged at time `now_unix` (the invite is
// valid while now_unix < expires_at_unix). Each problem has its own message:
// a missing prefix, a newer format (Unsupported), a character that is not part of
// the alphabet, a checksum mismatch or non-canonical ending (Corruption), a cut-off
// code (Corruption), extra text after a valid code, a bad or missing address, an
// out-of-range expiry, an over-long text, and expiry (Expired).
Result<Invite> ParseInvite(std::string_view text, int64_t now_unix);

}  // namespace inmost::identity
