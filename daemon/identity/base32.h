// Base32 as invite codes and onion names use it: the RFC 4648 alphabet, written
// lowercase, read in either case, no padding. It must never leave secret bits behind
// in its own variables (invite codes carry the pairing secret).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace inmost::identity {

inline constexpr int kBase32BitsPerChar = 5;
inline constexpr int kBitsPerByte = 8;

// The 5-bit value of a base32 character of either case, or -1.
int Base32Value(char c);

// How many base32 characters `bytes` bytes take (the last one padded with zero bits).
size_t Base32Length(size_t bytes);

// Appends the base32 text of `in` to `out`.
void AppendBase32(std::span<const uint8_t> in, std::string& out);

}  // namespace inmost::identity
