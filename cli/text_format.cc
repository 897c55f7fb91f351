// How the CLI shows plain values to a person: times, countdowns, counts, safety
// numbers, aligned fields, and any text made safe for the terminal. It formats
// only; it never reads the daemon's messages (message_format.cc does).
#include "cli/text_format.h"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace inmost::cli {

std::string TerminalSafe(std::string_view text) {
  std::string safe;
  safe.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
      safe.push_back('?');
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      safe.push_back('?');  // U+0080..U+009F, the C1 controls (CSI among them).
      ++i;
    } else {
      safe.push_back(static_cast<char>(c));
    }
  }
  return safe;
}

std::string OneLine(std::string_view text) {
  std::string line = TerminalSafe(text);
  for (char& c : line) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return line;
}

std::string LocalTime(int64_t unix_ms, const char* format) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return "?";
  char text[64];
  size_t n = std::strftime(text, sizeof text, format, &local);
  return std::string(text, n);
}

std::vector<std::string> SafetyNumberLines(std::string_view safety_number) {
  std::string digits;
  for (char c : safety_number) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ') {
      return {std::string(safety_number)};
    }
  }
  constexpr size_t kDigits = 60, kGroup = 5, kGroupsPerLine = 4;
  if (digits.size() != kDigits) return {std::string(safety_number)};
  std::vector<std::string> lines;
  for (size_t line = 0; line < kDigits; line += kGroup * kGroupsPerLine) {
    std::string text;
    for (size_t group = 0; group < kGroupsPerLine; ++group) {
      if (group > 0) text.push_back(' ');
      text += digits.substr(line + group * kGroup, kGroup);
    }
    lines.push_back(text);
  }
  return lines;
}

std::string FormatCountdown(int64_t ms) {
  if (ms <= 0) return "0s";
  int64_t seconds = ms / 1000 + (ms % 1000 != 0 ? 1 : 0);
  struct Unit {
    int64_t seconds;
    char name;
  };
  constexpr Unit kUnits[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (size_t i = 0; i < std::size(kUnits); ++i) {
    if (seconds < kUnits[i].seconds) continue;
    std::string text = std::to_string(seconds / kUnits[i].seconds) + kUnits[i].name;
    if (i + 1 < std::size(kUnits)) {
      int64_t next = seconds % kUnits[i].seconds / kUnits[i + 1].seconds;
      if (next != 0) text += ' ' + std::to_string(next) + kUnits[i + 1].name;
    }
    return text;
  }
  return "0s";
}

std::string FieldLine(std::string_view label, std::string_view value) {
  constexpr size_t kValueColumn = 19;  // Room for the longest label, "Partner addresses:".
  std::string line = label.empty() ? std::string() : std::string(label) + ':';
  line.resize(std::max(kValueColumn, line.size() + 1), ' ');
  return line + std::string(value);
}

std::string Count(uint64_t n, std::string_view noun) {
  return std::to_string(n) + ' ' + std::string(noun) + (n == 1 ? "" : "s");
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace inmost::cli
