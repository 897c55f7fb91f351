// The one clock for everything time-driven: wall time for what is stored or
// compared with the partner (message times, invite expiry, sealed-until times),
// steady time for what is measured (timeouts, backoff, rates, progress pacing), and
// the timers that wait on it (timer.h). Every part of the daemon asks the Clock it
// was handed, so a unit test drives all of it with a ManualClock, without sleeping.
// Log lines stamp the real time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace inmost::core {

// Steady time: only ever compared with itself, never stored or sent.
using SteadyTime = std::chrono::steady_clock::time_point;
using SteadyDuration = std::chrono::steady_clock::duration;

class Timer;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch.
  virtual int64_t NowUnixMs() const = 0;
  // Monotonic time, for durations and deadlines.
  virtual SteadyTime SteadyNow() const = 0;

 private:
  friend class Timer;
  // How a Timer waits. The system clock leaves it to Asio's steady clock (false). A
  // clock that moves only when told (ManualClock) takes the timer into its registry
  // and fires it itself once it moves past the timer's deadline (true); Untrack takes
  // it out again (cancelled, re-armed or destroyed). Both are const because every
  // feature holds its clock as const: it may wait on time, never move it, and a
  // waiter joining the registry does not change what time it is.
  virtual bool Track(Timer& /*timer*/) const { return false; }
  virtual void Untrack(Timer& /*timer*/) const {}
};

// The system's clocks; wall time optionally shifted by a fixed offset (tests start a
// daemon "in the future" with $INMOST_TEST_CLOCK_OFFSET_MS, a test hook: see
// daemon/config/test_hooks.h). Its timers are Asio's.
class SystemClock final : public Clock {
 public:
  explicit SystemClock(std::chrono::milliseconds offset = {}) : offset_(offset) {}
  int64_t NowUnixMs() const override {
    auto now = std::chrono::system_clock::now().time_since_epoch() + offset_;
    return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
  }
  SteadyTime SteadyNow() const override { return std::chrono::steady_clock::now(); }

 private:
  std::chrono::milliseconds offset_;
};

// A clock that only moves when told to, for unit tests: Advance moves wall and
// steady time together and fires the timers it passes. A fired timer's handler is
// posted to its executor, so a test advances, then polls its io_context:
//   clock.Advance(1min); io.poll();
// It must outlive the timers that wait on it, and be used on their io thread.
class ManualClock final : public Clock {
 public:
  // Steady time starts a day after the steady clock's epoch, as on a machine up for
  // a day: a time never set (SteadyTime{}) is long past, as with the real clock.
  explicit ManualClock(int64_t now_unix_ms);
  ~ManualClock() override;
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  int64_t NowUnixMs() const override { return now_unix_ms_; }
  SteadyTime SteadyNow() const override { return steady_now_; }

  // Moves both clocks forward by `by` (not negative), then fires every timer whose
  // deadline it reached, earliest first. One jump fires each timer once: a handler
  // that re-arms for a time already passed fires at the next poll.
  void Advance(std::chrono::milliseconds by);
  // Moves the wall clock only, either way (a clock corrected, a laptop that woke):
  // steady time stands, and no timer fires.
  void JumpWallClock(std::chrono::milliseconds by) { now_unix_ms_ += by.count(); }
  // Timers waiting on this clock now.
  size_t waiting_timers() const { return timers_.size(); }

 private:
  bool Track(Timer& timer) const override;
  void Untrack(Timer& timer) const override;

  int64_t now_unix_ms_;
  SteadyTime steady_now_;
  mutable std::vector<Timer*> timers_;  // Armed and not yet fired.
};

}  // namespace inmost::core
