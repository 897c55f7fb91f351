#include "daemon/crypto/secret_bytes.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "daemon/crypto/secret_slab.h"

namespace inmost::crypto {

SecretBytes::SecretBytes(size_t size) : size_(size) {
  if (sodium_init() < 0) std::abort();
  // sodium_malloc(0) is allowed but returns a guarded page; keep empty secrets null.
  if (size == 0) return;
  if (size <= kSecretSlotSize) {
    data_ = SecretSlab::ForProcess().Allocate();  // Zeroed.
    return;
  }
  data_ = static_cast<uint8_t*>(sodium_malloc(size));
  if (data_ == nullptr) std::abort();
  sodium_memzero(data_, size);
}

SecretBytes SecretBytes::CopyOf(std::span<const uint8_t> bytes) {
  SecretBytes s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data_, bytes.data(), bytes.size());
  return s;
}

SecretBytes SecretBytes::Random(size_t size) {
  SecretBytes s(size);
  if (size != 0) randombytes_buf(s.data_, size);
  return s;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  Reset();
}

bool SecretBytes::Equals(std::span<const uint8_t> other) const {
  if (other.size() != size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data(), size_) == 0;
}

void SecretBytes::Reset() {
  if (data_ != nullptr) {
    // Both wipe before freeing.
    if (size_ <= kSecretSlotSize) {
      SecretSlab::ForProcess().Free(data_);
    } else {
      sodium_free(data_);
    }
  }
  data_ = nullptr;
  size_ = 0;
}

}  // namespace inmost::crypto
