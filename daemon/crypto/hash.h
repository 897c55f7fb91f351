// BLAKE2b (libsodium's generic hash, unkeyed) over several parts in order, as if they
// were one string: the labelled hashes of fingerprints, safety numbers, invite
// checksums and envelope commitments. Every caller puts its own label first.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>

namespace inmost::crypto {

// Fills `out` with the BLAKE2b hash of `parts`; its size (16 to 64 bytes) is the
// hash's. The hash state is wiped afterwards, so a part may be secret.
void Blake2b(std::span<uint8_t> out, std::initializer_list<std::span<const uint8_t>> parts);

}  // namespace inmost::crypto
