// Locale-free ASCII character tests for reading untrusted text (invite codes and the
// addresses in them); <cctype> would depend on the process locale. They must never
// treat a non-ASCII byte as a letter, digit or space.
#pragma once

#include <string>

namespace inmost::identity {

// Characters ignored anywhere in pasted text, wherever wrapping put them.
inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

inline char ToLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// A printable description of one offending character for error messages.
inline std::string DescribeChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u <= 0x7e) return std::string("'") + c + "'";
  constexpr char kHex[] = "0123456789abcdef";
  return std::string("a byte 0x") + kHex[u >> 4] + kHex[u & 0xf];
}

}  // namespace inmost::identity
