#include "daemon/core/clock.h"

#include <algorithm>
#include <cassert>

#include "daemon/core/timer.h"

namespace inmost::core {

ManualClock::ManualClock(int64_t now_unix_ms)
    : now_unix_ms_(now_unix_ms), steady_now_(SteadyTime{} + std::chrono::hours(24)) {}

ManualClock::~ManualClock() {
  assert(timers_.empty() && "a timer outlived its ManualClock");
}

void ManualClock::Advance(std::chrono::milliseconds by) {
  assert(by.count() >= 0 && "steady time never goes back");
  now_unix_ms_ += by.count();
  steady_now_ += by;
  std::vector<Timer*> due;
  for (Timer* timer : timers_) {
    if (timer->expiry() <= steady_now_) due.push_back(timer);
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const Timer* a, const Timer* b) { return a->expiry() < b->expiry(); });
  for (Timer* timer : due) {
    std::erase(timers_, timer);
    timer->Fire();
  }
}

bool ManualClock::Track(Timer& timer) const {
  timers_.push_back(&timer);
  return true;
}

void ManualClock::Untrack(Timer& timer) const {
  std::erase(timers_, &timer);
}

}  // namespace inmost::core
