// Memory for keys and other secrets: sodium_malloc memory (guard pages, locked when
// the system allows, out of core dumps), a slot of a shared slab for small ones
// (secret_slab.h), wiped and freed when released. Never log or
// copy the contents into ordinary memory longer than a call needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace inmost::crypto {

class SecretBytes {
 public:
  // An empty secret that holds nothing.
  SecretBytes() = default;
  // Zero-filled secret of `size` bytes. Aborts if the allocation fails: without
  // memory for keys the daemon cannot run safely.
  explicit SecretBytes(size_t size);
  // A secret holding a copy of `bytes`.
  static SecretBytes CopyOf(std::span<const uint8_t> bytes);
  // A secret of `size` bytes from libsodium's CSPRNG.
  static SecretBytes Random(size_t size);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<uint8_t> span() { return {data_, size_}; }
  std::span<const uint8_t> span() const { return {data_, size_}; }

  // Constant-time comparison (sodium_memcmp); false when the sizes differ.
  bool Equals(std::span<const uint8_t> other) const;

  // Wipes and frees the memory now; the object is then empty.
  void Reset();

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace inmost::crypto
