// A token bucket: a rate with a burst, for anything that must not go faster than a
// fixed pace (handshakes per source address, the bytes of files sent). Pure
// bookkeeping: the caller passes the time in, so it is tested without sleeping; it
// must never read a clock or own a timer itself.
#pragma once

#include <chrono>

#include "daemon/core/clock.h"

namespace inmost::core {

class TokenBucket {
 public:
  using TimePoint = SteadyTime;  // A Clock's SteadyNow() (clock.h).
  using Duration = SteadyDuration;

  // Full at `now`: `burst` tokens (at least 1), refilled at `rate_per_second` (not
  // negative) up to `burst` again.
  TokenBucket(double rate_per_second, double burst, TimePoint now);

  // Refills up to `now`, then takes `cost` tokens if that many are there; false
  // (and nothing taken) when fewer are.
  bool TryTake(double cost, TimePoint now);
  // How long from `now` until `cost` tokens are there: zero when they already are,
  // Duration::max() when they never will be (no refill, or more than the burst).
  Duration TimeUntil(double cost, TimePoint now) const;
  // Whether it would be full at `now`: then it is as good as a fresh bucket.
  bool FullAt(TimePoint now) const { return TokensAt(now) >= burst_; }
  // The last time it was refilled: the latest `now` it was given.
  TimePoint updated() const { return updated_; }

 private:
  double TokensAt(TimePoint now) const;

  double rate_per_second_;
  double burst_;
  double tokens_;
  TimePoint updated_;
};

}  // namespace inmost::core
