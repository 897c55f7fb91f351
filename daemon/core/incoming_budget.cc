#include "daemon/core/incoming_budget.h"

#include <utility>

namespace inmost::core {
namespace {

constexpr int64_t kMinuteMs = 60'000;

// "256 MiB", as the options take sizes; exact, else in bytes.
std::string Size(uint64_t bytes) {
  for (auto [shift, unit] : {std::pair{30, " GiB"}, {20, " MiB"}, {10, " KiB"}}) {
    uint64_t one = uint64_t{1} << shift;
    if (bytes >= one && bytes % one == 0) return std::to_string(bytes >> shift) + unit;
  }
  return std::to_string(bytes) + " bytes";
}

}  // namespace

IncomingBudget::Minute IncomingBudget::LastHour(int64_t now_unix_ms) const {
  int64_t now = now_unix_ms / kMinuteMs;
  Minute total;
  for (const Minute& m : minutes_) {
    if (m.index >= 0 && m.index > now - kMinutes && m.index <= now) {
      total.items += m.items;
      total.bytes += m.bytes;
    }
  }
  return total;
}

std::optional<std::string> IncomingBudget::Refusal(int64_t now_unix_ms, uint64_t bytes,
                                                   const Unread& unread) const {
  Minute hour = LastHour(now_unix_ms);
  if (hour.items + 1 > limits_.items_per_hour) {
    return "more than " + std::to_string(limits_.items_per_hour) + " items in an hour";
  }
  // Any one item fits an empty budget, so a large one waits, never for ever.
  if (hour.bytes > 0 && hour.bytes + bytes > limits_.bytes_per_hour) {
    return "more than " + Size(limits_.bytes_per_hour) + " in an hour";
  }
  if (unread.items + 1 > limits_.unread_items) {
    return "more than " + std::to_string(limits_.unread_items) + " items not yet read";
  }
  if (unread.bytes > 0 && unread.bytes + bytes > limits_.unread_bytes) {
    return "more than " + Size(limits_.unread_bytes) + " not yet read";
  }
  return std::nullopt;
}

void IncomingBudget::Count(int64_t now_unix_ms, uint64_t bytes) {
  int64_t index = now_unix_ms / kMinuteMs;
  Minute& slot = minutes_[static_cast<size_t>(((index % kMinutes) + kMinutes) % kMinutes)];
  if (slot.index != index) slot = Minute{index, 0, 0};
  slot.items += 1;
  slot.bytes += bytes;
}

}  // namespace inmost::core
