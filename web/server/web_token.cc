#include "web/server/web_token.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace inmost::web {
namespace {

constexpr size_t kTokenBytes = 32;
constexpr size_t kHexSize = WebToken::kHexSize;
static_assert(kHexSize == 2 * kTokenBytes);

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

Result<WebToken> WebToken::FromText(std::string_view hex) {
  bool valid = hex.size() == kHexSize;
  for (char c : hex) valid = valid && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!valid) return InvalidArgument("a web token is 64 lowercase hex digits");
  auto* copy = static_cast<char*>(SecretAlloc(kHexSize + 1));
  std::memcpy(copy, hex.data(), kHexSize);
  copy[kHexSize] = '\0';
  return WebToken(copy);
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
