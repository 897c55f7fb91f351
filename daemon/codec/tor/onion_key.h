// A v3 onion service's identity as Tor's control port passes it: the service ID (the
// address without ".onion") and the ED25519-V3 private key blob of ADD_ONION. The key
// lives only in secret memory here: it must never be decoded to, or encoded from, an
// ordinary string, nor appear in a Status message.
#pragma once

#include <cstddef>
#include <string_view>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::tor {

// The key type ADD_ONION is asked for and answers with.
inline constexpr std::string_view kOnionKeyType = "ED25519-V3";
// The key: the expanded ed25519 secret key, 32 bytes of scalar and 32 of PRF secret.
inline constexpr size_t kOnionKeyBytes = 64;
// A v3 service ID: 56 base32 characters (lowercase letters and 2-7).
inline constexpr size_t kServiceIdLength = 56;

// Whether `text` is a v3 service ID as Tor writes it (lowercase, no ".onion").
bool IsServiceId(std::string_view text);

// Decodes "ED25519-V3:<base64>", as ADD_ONION's PrivateKey= gives it (with or without
// base64 padding), into the 64 key bytes. InvalidArgument for another key type,
// Corruption for bad base64 or a wrong length; the message never holds the blob.
Result<crypto::SecretBytes> DecodeOnionKey(std::string_view blob);

// "ED25519-V3:<base64>" for ADD_ONION, in secret memory. `key` must hold 64 bytes.
Result<crypto::SecretBytes> EncodeOnionKey(const crypto::SecretBytes& key);

}  // namespace inmost::tor
