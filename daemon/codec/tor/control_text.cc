#include "daemon/codec/tor/control_text.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace inmost::tor {

namespace {

constexpr char kQuote = '"';
constexpr char kEscape = '\\';
constexpr int kMaxOctalDigits = 3;
constexpr std::string_view kPlainPunctuation = "-_./:,=$~[]";

bool IsPrintableAscii(uint8_t byte) {
  return byte >= 0x20 && byte < 0x7f;
}

bool IsOctal(char c) {
  return c >= '0' && c <= '7';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status BadQuoted(const std::string& why) {
  return Corruption("tor's control port sent a malformed quoted string: " + why);
}

}  // namespace

std::string Quote(std::string_view text) {
  std::string quoted(1, kQuote);
  for (char c : text) {
    const auto byte = static_cast<uint8_t>(c);
    if (c == kQuote || c == kEscape) {
      quoted += kEscape;
      quoted += c;
    } else if (IsPrintableAscii(byte)) {
      quoted += c;
    } else {
      quoted += kEscape;
      quoted += static_cast<char>('0' + (byte >> 6));
      quoted += static_cast<char>('0' + ((byte >> 3) & 7));
      quoted += static_cast<char>('0' + (byte & 7));
    }
  }
  quoted += kQuote;
  return quoted;
}

Result<Unquoted> UnquotePrefix(std::string_view text) {
  if (text.empty() || text[0] != kQuote) return BadQuoted("it does not begin with '\"'");
  Unquoted out;
  size_t i = 1;
  while (i < text.size()) {
    const char c = text[i];
    if (c == kQuote) {
      out.length = i + 1;
      return out;
    }
    if (c != kEscape) {
      out.value += c;
      ++i;
      continue;
    }
    if (i + 1 >= text.size()) break;
    const char e = text[i + 1];
    i += 2;
    switch (e) {
      case 'n':
        out.value += '\n';
        break;
      case 'r':
        out.value += '\r';
        break;
      case 't':
        out.value += '\t';
        break;
      case '\\':
      case '"':
      case '\'':
        out.value += e;
        break;
      case 'x':
      case 'X': {
        const int high = i < text.size() ? HexValue(text[i]) : -1;
        const int low = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
        if (high < 0 || low < 0) return BadQuoted("\\x without two hex digits");
        out.value += static_cast<char>(high * 16 + low);
        i += 2;
        break;
      }
      default: {
        if (!IsOctal(e)) return BadQuoted(std::string("the unknown escape \\") + e);
        int value = e - '0';
        for (int digits = 1; digits < kMaxOctalDigits && i < text.size() && IsOctal(text[i]);
             ++digits) {
          value = value * 8 + (text[i++] - '0');
        }
        if (value > 0xff) return BadQuoted("an octal escape above \\377");
        out.value += static_cast<char>(value);
      }
    }
  }
  return BadQuoted("it has no closing '\"'");
}

Result<std::string> Unquote(std::string_view text) {
  INMOST_ASSIGN_OR_RETURN(Unquoted unquoted, UnquotePrefix(text));
  if (unquoted.length != text.size()) return BadQuoted("something follows its closing '\"'");
  return std::move(unquoted.value);
}

Result<std::vector<ReplyField>> SplitFields(std::string_view text) {
  std::vector<ReplyField> fields;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    const size_t equals = text.find('=', i);
    const size_t quote = text.find(kQuote, i);
    ReplyField field;
    if (equals == std::string_view::npos || equals >= end || quote < equals) {
      field.value.assign(text.substr(i, end - i));
      i = end;
    } else {
      if (equals == i) return Corruption("tor's control port sent a field with an empty key");
      field.key.assign(text.substr(i, equals - i));
      const size_t value_start = equals + 1;
      if (value_start < text.size() && text[value_start] == kQuote) {
        INMOST_ASSIGN_OR_RETURN(Unquoted unquoted, UnquotePrefix(text.substr(value_start)));
        const size_t after = value_start + unquoted.length;
        if (after < text.size() && text[after] != ' ') {
          return BadQuoted("something other than a space follows its closing '\"'");
        }
        field.value = std::move(unquoted.value);
        i = after;
      } else {
        field.value.assign(text.substr(value_start, end - value_start));
        i = end;
      }
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

const std::string* FindField(const std::vector<ReplyField>& fields, std::string_view key) {
  for (const ReplyField& field : fields) {
    if (field.key == key) return &field.value;
  }
  return nullptr;
}

bool IsPlainArgument(std::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           kPlainPunctuation.find(c) != std::string_view::npos;
  });
}

}  // namespace inmost::tor
