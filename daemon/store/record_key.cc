#include "daemon/store/record_key.h"

#include <cstdio>

namespace inmost::store {

namespace {
constexpr int kBitsPerByte = 8;
constexpr unsigned char kMaxByte = 0xff;
constexpr char kFirstPrintable = 0x20;
constexpr char kLastPrintable = 0x7e;
}  // namespace

void AppendUint64(std::string& key, uint64_t value) {
  for (int shift = static_cast<int>(kUint64KeySize - 1) * kBitsPerByte; shift >= 0;
       shift -= kBitsPerByte) {
    key.push_back(static_cast<char>((value >> shift) & kMaxByte));
  }
}

std::string EncodeUint64(uint64_t value) {
  std::string out;
  out.reserve(kUint64KeySize);
  AppendUint64(out, value);
  return out;
}

std::optional<uint64_t> DecodeUint64(std::string_view bytes) {
  if (bytes.size() != kUint64KeySize) return std::nullopt;
  uint64_t value = 0;
  for (char c : bytes) value = (value << kBitsPerByte) | static_cast<unsigned char>(c);
  return value;
}

std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string next(prefix);
  // Drop trailing 0xff bytes (they cannot be incremented), then bump the last byte.
  while (!next.empty() && static_cast<unsigned char>(next.back()) == kMaxByte) next.pop_back();
  if (next.empty()) return std::nullopt;
  next.back() = static_cast<char>(static_cast<unsigned char>(next.back()) + 1);
  return next;
}

std::string PrintableKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c >= kFirstPrintable && c <= kLastPrintable && c != '\\') {
      out.push_back(c);
      continue;
    }
    char escaped[5];  // "\xNN" and the terminator.
    std::snprintf(escaped, sizeof(escaped), "\\x%02x", static_cast<unsigned char>(c));
    out += escaped;
  }
  return out;
}

}  // namespace inmost::store
