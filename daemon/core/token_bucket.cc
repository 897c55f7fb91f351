#include "daemon/core/token_bucket.h"

#include <algorithm>

namespace inmost::core {

TokenBucket::TokenBucket(double rate_per_second, double burst, TimePoint now)
    : rate_per_second_(std::max(rate_per_second, 0.0)),
      burst_(std::max(burst, 1.0)),
      tokens_(burst_),
      updated_(now) {}

double TokenBucket::TokensAt(TimePoint now) const {
  // A time before the last refill adds nothing: the bucket never drains backwards.
  const double elapsed = std::max(std::chrono::duration<double>(now - updated_).count(), 0.0);
  return std::min(burst_, tokens_ + elapsed * rate_per_second_);
}

bool TokenBucket::TryTake(double cost, TimePoint now) {
  tokens_ = TokensAt(now);
  updated_ = std::max(updated_, now);
  if (tokens_ < cost) return false;
  tokens_ -= cost;
  return true;
}

TokenBucket::Duration TokenBucket::TimeUntil(double cost, TimePoint now) const {
  const double tokens = TokensAt(now);
  if (tokens >= cost) return Duration::zero();
  if (rate_per_second_ <= 0 || cost > burst_) return Duration::max();
  return std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>((cost - tokens) / rate_per_second_));
}

}  // namespace inmost::core
