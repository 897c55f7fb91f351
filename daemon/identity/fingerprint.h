// Short human-readable fingerprints of public keys, for showing "which key is
// this" in status output and logs. A fingerprint identifies, it does not verify:
// it must never stand in for the safety number when partners check each other.
#pragma once

#include <string>

#include "daemon/crypto/key_pair.h"

namespace inmost::identity {

// The fingerprint of `key`: the first 16 bytes of BLAKE2b-256 (libsodium
// crypto_generichash, unkeyed, 32-byte output) over the ASCII label
// "inmost fingerprint v1" followed by the 32 key bytes, written as 8 groups of
// 4 lowercase hex digits separated by single spaces (39 characters), such as
// "3f1a 09c2 ...". Changing this definition changes what users see: don't.
std::string Fingerprint(const crypto::PublicKey& key);

}  // namespace inmost::identity
