// Tor's cookie authentication (control-spec 3.5 and 3.24): reading the cookie file, and
// the SAFECOOKIE proofs, HMAC-SHA256 over cookie | client nonce | server nonce. The
// cookie and the proofs stay in secret memory; this module must never compare a proof
// in variable time or put a cookie byte in a message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::tor {

// A cookie file holds exactly this many random bytes.
inline constexpr size_t kCookieBytes = 32;
// Both nonces of AUTHCHALLENGE, and both hashes, are this long.
inline constexpr size_t kSafeCookieNonceBytes = 32;
inline constexpr size_t kSafeCookieHashBytes = 32;

using Nonce = std::array<uint8_t, kSafeCookieNonceBytes>;
using SafeCookieHash = std::array<uint8_t, kSafeCookieHashBytes>;

// Reads the cookie at `path` into secret memory. NotFound when there is no such file,
// PermissionDenied when this user may not read it, Corruption when it does not hold
// exactly 32 bytes; each message names the file.
Result<crypto::SecretBytes> ReadCookieFile(const std::string& path);

// Which of the two proofs to compute: Tor's (checked here) or ours (sent to Tor).
enum class SafeCookieSide { kServerToController, kControllerToServer };

// HMAC-SHA256 keyed with the side's constant string, over cookie | client | server.
crypto::SecretBytes SafeCookieProof(SafeCookieSide side, const crypto::SecretBytes& cookie,
                                    std::span<const uint8_t> client_nonce,
                                    std::span<const uint8_t> server_nonce);

// Whether Tor's SERVERHASH is the proof only a holder of `cookie` can make, compared in
// constant time.
bool ServerHashMatches(const crypto::SecretBytes& cookie, std::span<const uint8_t> client_nonce,
                       std::span<const uint8_t> server_nonce, const SafeCookieHash& server_hash);

}  // namespace inmost::tor
