#include "daemon/identity/base32.h"

#include <sodium.h>

#include <string_view>

#include "daemon/identity/ascii.h"

namespace inmost::identity {

namespace {
constexpr std::string_view kBase32Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
}  // namespace

int Base32Value(char c) {
  c = ToLower(c);
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

size_t Base32Length(size_t bytes) {
  return (bytes * kBitsPerByte + kBase32BitsPerChar - 1) / kBase32BitsPerChar;
}

void AppendBase32(std::span<const uint8_t> in, std::string& out) {
  uint32_t bits = 0;
  int count = 0;
  for (uint8_t byte : in) {
    bits = (bits << kBitsPerByte) | byte;
    count += kBitsPerByte;
    while (count >= kBase32BitsPerChar) {
      count -= kBase32BitsPerChar;
      out.push_back(kBase32Alphabet[(bits >> count) & 0x1f]);
    }
  }
  if (count > 0) {
    out.push_back(kBase32Alphabet[(bits << (kBase32BitsPerChar - count)) & 0x1f]);
  }
  sodium_memzero(&bits, sizeof(bits));  // It held secret bits.
}

}  // namespace inmost::identity
