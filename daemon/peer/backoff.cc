#include "daemon/peer/backoff.h"

#include <sodium.h>

#include <algorithm>

namespace inmost::peer {
namespace {

// Doubling stops long before this, but it keeps the shift below the width of the type.
constexpr uint32_t kMaxDoublings = 30;
// Resolution of the random jitter factor.
constexpr uint32_t kJitterSteps = 1u << 16;

}  // namespace

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
    : initial_(std::max(initial, std::chrono::milliseconds(1))), max_(std::max(max, initial_)) {}

std::chrono::milliseconds Backoff::BaseDelay(uint32_t attempt) const {
  const uint32_t doublings = std::min(attempt, kMaxDoublings);
  const int64_t max_count = max_.count();
  int64_t delay = initial_.count();
  for (uint32_t i = 0; i < doublings && delay < max_count; ++i) delay *= 2;
  return std::chrono::milliseconds(std::min(delay, max_count));
}

std::chrono::milliseconds Backoff::Jitter(std::chrono::milliseconds base, double unit) {
  unit = std::clamp(unit, 0.0, 1.0);
  const double factor = 1.0 - kJitterFraction + 2.0 * kJitterFraction * unit;
  const auto scaled = static_cast<int64_t>(static_cast<double>(base.count()) * factor);
  return std::chrono::milliseconds(std::max<int64_t>(scaled, 1));
}

std::chrono::milliseconds Backoff::Next() {
  const auto base = BaseDelay(attempt_);
  if (attempt_ < kMaxDoublings) ++attempt_;
  const double unit = static_cast<double>(randombytes_uniform(kJitterSteps + 1)) /
                      static_cast<double>(kJitterSteps);
  return Jitter(base, unit);
}

}  // namespace inmost::peer
