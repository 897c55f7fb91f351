#include "daemon/crypto/hash.h"

#include <sodium.h>

namespace inmost::crypto {

void Blake2b(std::span<uint8_t> out, std::initializer_list<std::span<const uint8_t>> parts) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, out.size());
  for (std::span<const uint8_t> part : parts) {
    crypto_generichash_update(&state, part.data(), part.size());
  }
  crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);
}

}  // namespace inmost::crypto
