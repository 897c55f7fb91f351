#include "daemon/crypto/secret_slab.h"

#include <sodium.h>

#include <cstdlib>

namespace inmost::crypto {

SecretSlab& SecretSlab::ForProcess() {
  static SecretSlab* const slab = new SecretSlab;  // Never destroyed (see the header).
  return *slab;
}

uint8_t* SecretSlab::Allocate() {
  std::lock_guard lock(mu_);
  if (free_.empty()) {
    if (sodium_init() < 0) std::abort();
    auto* slab = static_cast<uint8_t*>(sodium_malloc(kSecretSlotSize * kSecretSlotsPerSlab));
    if (slab == nullptr) std::abort();
    sodium_memzero(slab, kSecretSlotSize * kSecretSlotsPerSlab);
    free_.reserve(free_.size() + kSecretSlotsPerSlab);
    for (size_t i = kSecretSlotsPerSlab; i-- > 0;) free_.push_back(slab + i * kSecretSlotSize);
  }
  uint8_t* slot = free_.back();
  free_.pop_back();
  return slot;
}

void SecretSlab::Free(uint8_t* slot) {
  sodium_memzero(slot, kSecretSlotSize);
  std::lock_guard lock(mu_);
  free_.push_back(slot);
}

}  // namespace inmost::crypto
