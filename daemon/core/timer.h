// A timer on a core::Clock (clock.h): waits for a steady-time deadline, then calls
// back (or resumes a coroutine) on its executor, reporting whether it fired or was
// cancelled. Under the SystemClock it is an Asio steady_timer; under a ManualClock
// the Asio timer is parked at time_point::max() and the clock fires it when it is
// advanced past the deadline, so a test sees the wait end without sleeping.
// Everything time-driven waits on one of these; a steady_timer used only as a signal
// (parked at max, cancelled to wake a coroutine) needs no clock and stays Asio's.
// One wait at a time: a new wait cancels the pending one.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "daemon/core/clock.h"

namespace inmost::core {

class Timer {
 public:
  // Called with true when the deadline passed, false when the wait was cancelled
  // (Cancel, a new wait, the timer's destruction), on the executor, never inside a
  // call of this timer. As with Asio, a wait that already fired stays fired.
  using Handler = std::function<void(bool fired)>;

  // `clock` must outlive the timer.
  Timer(boost::asio::any_io_executor executor, const Clock& clock);
  Timer(boost::asio::io_context& io, const Clock& clock) : Timer(io.get_executor(), clock) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void AsyncWaitUntil(SteadyTime deadline, Handler handler);
  // From now on the clock; a duration too long to add is a deadline of max().
  void AsyncWaitFor(SteadyDuration duration, Handler handler);
  // As above, for a coroutine: true when it fired. The timer must outlive the wait.
  boost::asio::awaitable<bool> WaitUntil(SteadyTime deadline);
  boost::asio::awaitable<bool> WaitFor(SteadyDuration duration);
  // Ends the pending wait, if any, as cancelled.
  void Cancel();

  // The deadline of the last wait (max() before any).
  SteadyTime expiry() const { return deadline_; }
  const Clock& clock() const { return clock_; }

 private:
  friend class ManualClock;
  struct Wait {
    bool fired = false;  // Set by a ManualClock, whose firing Asio sees as a cancel.
  };

  // Cancels the pending wait and arms for `deadline`; the Asio wait follows at once.
  std::shared_ptr<Wait> Arm(SteadyTime deadline);
  SteadyTime DeadlineAfter(SteadyDuration duration) const;
  // A ManualClock reached the deadline (it has already untracked this timer).
  void Fire();

  const Clock& clock_;
  boost::asio::steady_timer timer_;
  SteadyTime deadline_ = SteadyTime::max();
  std::shared_ptr<Wait> wait_;  // The pending wait, while the clock may still fire it.
  bool tracked_ = false;        // In a ManualClock's registry.
};

}  // namespace inmost::core
