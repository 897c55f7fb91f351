#include "cli/duration.h"

#include <limits>
#include <string>

namespace inmost::cli {
namespace {

uint64_t UnitSeconds(char unit) {
  switch (unit) {
    case 's':
      return 1;
    case 'm':
      return 60;
    case 'h':
      return uint64_t{60} * 60;
    case 'd':
      return uint64_t{24} * 60 * 60;
    case 'w':
      return uint64_t{7} * 24 * 60 * 60;
    default:
      return 0;
  }
}

}  // namespace

Result<uint64_t> ParseDurationSeconds(std::string_view text) {
  const std::string bad = "invalid duration '" + std::string(text) +
                          "': use a number with a unit, such as 90s, 30m, 24h, 7d or 1h30m";
  if (text.empty()) return InvalidArgument(bad);
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t total = 0;
  bool had_pair = false;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return InvalidArgument(bad);
    uint64_t number = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      uint64_t digit = static_cast<uint64_t>(text[i] - '0');
      if (number > (kMax - digit) / 10) return InvalidArgument(bad);
      number = number * 10 + digit;
    }
    uint64_t unit = 1;
    if (i < text.size()) {
      unit = UnitSeconds(text[i]);
      if (unit == 0) return InvalidArgument(bad);
      ++i;
    } else if (had_pair) {
      return InvalidArgument(bad);  // "1h30": the last number needs its unit too.
    }
    if (number > (kMax - total) / unit) return InvalidArgument(bad);
    total += number * unit;
    had_pair = true;
  }
  if (total == 0) return InvalidArgument("the duration must be longer than zero");
  return total;
}

}  // namespace inmost::cli
