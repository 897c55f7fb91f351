// Tor v3 client authorization keys as Tor's control port and clients write them:
// base32 (RFC 4648, no padding) of raw 32-byte X25519 keys, and the `.auth_private`
// line Tor Browser, Orbot and ClientOnionAuthDir read. A private key is only ever
// encoded into secret memory here: it must never pass through an ordinary string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::tor {

// An X25519 key, public or private.
inline constexpr size_t kClientAuthKeyBytes = 32;
// Its base32 without padding: ceil(32 * 8 / 5).
inline constexpr size_t kClientAuthKeyBase32Length = 52;

// Base32 of `bytes` in capitals (as Tor's documentation writes these keys; Tor reads
// either case), without padding.
std::string Base32(std::span<const uint8_t> bytes);
// The same into secret memory, for a private key.
crypto::SecretBytes SecretBase32(std::span<const uint8_t> bytes);

// Whether `text` is the base32 of a 32-byte key (52 capitals and digits 2-7).
bool IsClientAuthKey(std::string_view text);

// "<service id>:descriptor:x25519:<base32 private key>": one `.auth_private` file's
// line. InvalidArgument unless `service_id` is a v3 service ID and `private_key` holds
// 32 bytes (the message never holds the key).
Result<crypto::SecretBytes> AuthPrivateLine(std::string_view service_id,
                                            const crypto::SecretBytes& private_key);

}  // namespace inmost::tor
