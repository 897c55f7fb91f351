// A daily quiet window in local time ("22:00-07:00"), which may span midnight:
// parsing, formatting and whether a minute of the day lies inside it. Pure: no
// clock, no store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "inmost/status.h"

namespace inmost::core {

inline constexpr uint32_t kMinutesPerDay = 24 * 60;

struct QuietWindow {
  uint32_t start_minute = 0;  // Minutes after local midnight; start != end.
  uint32_t end_minute = 0;

  // Whether `minute` (after local midnight) lies in [start, end).
  bool Contains(uint32_t minute) const;
  // Minutes from `minute` (inside the window) until it ends.
  uint32_t MinutesLeft(uint32_t minute) const;
  // "HH:MM-HH:MM".
  std::string ToString() const;
};

// "HH:MM-HH:MM" with different start and end; InvalidArgument otherwise.
Result<QuietWindow> ParseQuietWindow(std::string_view text);

// Minutes after local midnight at `unix_ms`, in the process's time zone.
uint32_t LocalMinuteOfDay(int64_t unix_ms);

}  // namespace inmost::core
