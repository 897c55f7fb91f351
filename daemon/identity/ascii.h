// Locale-free ASCII helpers. The character tests read untrusted text (invite codes
// and the addresses in them); <cctype> would depend on the process locale. They must
// never treat a non-ASCII byte as a letter, digit or space. Grouped spaces out the
// digits that people read to each other (fingerprints, safety numbers).
#pragma once

#include <string>
#include <string_view>

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

// `text` with a space after every `group` characters but the last: "1234 5678 9".
inline std::string Grouped(std::string_view text, size_t group) {
  std::string out;
  out.reserve(text.size() + text.size() / group);
  for (size_t i = 0; i < text.size(); ++i) {
    if (i != 0 && i % group == 0) out.push_back(' ');
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace inmost::identity
