// Where small secrets live: 64-byte slots carved from slabs of sodium_malloc memory
// (locked, behind guard pages, left out of core dumps). One sodium_malloc costs several
// system calls (mmap, mprotect, mlock and their undoing), and a Noise handshake makes
// a dozen secrets, so each used to cost ~300 system calls per side. A slot is wiped
// the moment it is freed; slabs are never returned, so their number stays at the peak.
// Internal to SecretBytes: it must never hand a slot to anything else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace inmost::crypto {

// Secrets up to this size take a slot; larger ones get their own sodium_malloc.
inline constexpr size_t kSecretSlotSize = 64;
// Slots per slab: one slab is 16 KiB, four pages.
inline constexpr size_t kSecretSlotsPerSlab = 256;

// Thread-safe: the store writer thread makes secrets too.
class SecretSlab {
 public:
  // The process's slabs. Like the C allocator it is one per process; it is never
  // destroyed, so secrets in objects destroyed at exit can still be freed.
  static SecretSlab& ForProcess();

  // A zeroed slot of kSecretSlotSize bytes; aborts when out of memory.
  uint8_t* Allocate();
  // Wipes `slot` (from Allocate) and makes it free.
  void Free(uint8_t* slot);

 private:
  SecretSlab() = default;

  std::mutex mu_;
  std::vector<uint8_t*> free_;  // Pointers only: the secrets stay in the slabs.
};

}  // namespace inmost::crypto
