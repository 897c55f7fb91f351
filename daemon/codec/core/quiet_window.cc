#include "daemon/codec/core/quiet_window.h"

#include <ctime>
#include <optional>

namespace inmost::core {
namespace {

// "HH:MM" as minutes after midnight.
std::optional<uint32_t> ParseMinute(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  auto digit = [&](size_t i) { return static_cast<uint32_t>(text[i] - '0'); };
  uint32_t hours = digit(0) * 10 + digit(1), minutes = digit(3) * 10 + digit(4);
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

std::string FormatMinute(uint32_t minute) {
  return std::to_string(100 + minute / 60).substr(1) + ":" +
         std::to_string(100 + minute % 60).substr(1);
}

}  // namespace

bool QuietWindow::Contains(uint32_t minute) const {
  return start_minute < end_minute ? (minute >= start_minute && minute < end_minute)
                                   : (minute >= start_minute || minute < end_minute);
}

uint32_t QuietWindow::MinutesLeft(uint32_t minute) const {
  return (end_minute + kMinutesPerDay - minute) % kMinutesPerDay;
}

std::string QuietWindow::ToString() const {
  return FormatMinute(start_minute) + "-" + FormatMinute(end_minute);
}

Result<QuietWindow> ParseQuietWindow(std::string_view text) {
  auto dash = text.find('-');
  auto start = ParseMinute(text.substr(0, dash));
  auto end = dash == std::string_view::npos ? std::nullopt : ParseMinute(text.substr(dash + 1));
  if (!start || !end || *start == *end) {
    return InvalidArgument(
        "quiet hours are HH:MM-HH:MM in local time (e.g. 22:00-07:00), with different start "
        "and end");
  }
  return QuietWindow{*start, *end};
}

uint32_t LocalMinuteOfDay(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return 0;
  return static_cast<uint32_t>(local.tm_hour * 60 + local.tm_min);
}

}  // namespace inmost::core
