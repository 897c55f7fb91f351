#include "web/server/web_token.h"

#include <sodium.h>

#include <cstdlib>
#include <utility>

namespace inmost::web {
namespace {

constexpr size_t kTokenBytes = 32;
constexpr size_t kHexSize = 2 * kTokenBytes;

void* SecretAlloc(size_t size) {
  if (sodium_init() < 0) std::abort();
  void* memory = sodium_malloc(size);
  if (memory == nullptr) std::abort();  // A secret must not fall back to the heap.
  return memory;
}

}  // namespace

WebToken WebToken::Fresh() {
  auto* raw = static_cast<unsigned char*>(SecretAlloc(kTokenBytes));
  randombytes_buf(raw, kTokenBytes);
  auto* hex = static_cast<char*>(SecretAlloc(kHexSize + 1));
  sodium_bin2hex(hex, kHexSize + 1, raw, kTokenBytes);
  sodium_free(raw);  // sodium_free wipes before freeing.
  return WebToken(hex);
}

WebToken::WebToken(WebToken&& other) noexcept : hex_(std::exchange(other.hex_, nullptr)) {}

WebToken::~WebToken() {
  if (hex_ != nullptr) sodium_free(hex_);
}

bool WebToken::Matches(std::string_view candidate) const {
  if (hex_ == nullptr || candidate.size() != kHexSize) return false;
  return sodium_memcmp(hex_, candidate.data(), kHexSize) == 0;
}

std::string_view WebToken::text() const {
  return hex_ == nullptr ? std::string_view() : std::string_view(hex_, kHexSize);
}

}  // namespace inmost::web
