// The one clock abstraction for wall time: everything stored or compared with the
// partner (message times, invite expiry) asks a Clock it was handed, so tests can
// drive time. Timers use Asio's steady clock; log lines stamp the real time.
#pragma once

#include <chrono>
#include <cstdint>

namespace inmost::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch.
  virtual int64_t NowUnixMs() const = 0;
};

// The system's wall clock, optionally shifted by a fixed offset (tests start a
// daemon "in the future" with $INMOST_TEST_CLOCK_OFFSET_MS, a test hook: see
// daemon/config/test_hooks.h).
class SystemClock final : public Clock {
 public:
  explicit SystemClock(std::chrono::milliseconds offset = {}) : offset_(offset) {}
  int64_t NowUnixMs() const override {
    auto now = std::chrono::system_clock::now().time_since_epoch() + offset_;
    return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
  }

 private:
  std::chrono::milliseconds offset_;
};

// A clock that only moves when told to: for unit tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_unix_ms) : now_(now_unix_ms) {}
  int64_t NowUnixMs() const override { return now_; }
  void Advance(std::chrono::milliseconds by) { now_ += by.count(); }

 private:
  int64_t now_;
};

}  // namespace inmost::core
