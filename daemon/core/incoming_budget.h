// The most the partner may make this daemon store: stream items per hour (count and
// bytes) and incoming entries not yet read (count and bytes). An honest partner never
// meets it; past it, the partner's further items are refused for now and wait on its
// side, rather than fill this disk. Bookkeeping only: no I/O, no timers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/codec/core/incoming_limits.h"

namespace inmost::core {

// What is stored and not yet read, as the conversation counts it.
struct Unread {
  uint64_t items = 0;
  uint64_t bytes = 0;
};

class IncomingBudget {
 public:
  explicit IncomingBudget(IncomingLimits limits = {}) : limits_(limits) {}
  void SetLimits(IncomingLimits limits) { limits_ = limits; }

  // Why one more item of `bytes` may not be stored at `now_unix_ms` (words both
  // users read, naming the limit), or nullopt when it may. `bytes` 0 asks whether
  // there is room again for a small one.
  std::optional<std::string> Refusal(int64_t now_unix_ms, uint64_t bytes,
                                     const Unread& unread) const;
  // Counts an item of `bytes` stored at `now_unix_ms`.
  void Count(int64_t now_unix_ms, uint64_t bytes);

 private:
  // The last hour in one-minute slots, so memory stays fixed however many arrive.
  struct Minute {
    int64_t index = -1;  // Minutes since the epoch; -1: unused.
    uint64_t items = 0;
    uint64_t bytes = 0;
  };
  static constexpr int kMinutes = 60;
  // Items and bytes counted in the hour before `now_unix_ms`.
  Minute LastHour(int64_t now_unix_ms) const;

  IncomingLimits limits_;
  std::array<Minute, kMinutes> minutes_{};
};

}  // namespace inmost::core
