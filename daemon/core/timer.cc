#include "daemon/core/timer.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

namespace inmost::core {

namespace asio = boost::asio;

Timer::Timer(asio::any_io_executor executor, const Clock& clock)
    : clock_(clock), timer_(std::move(executor)) {}

Timer::~Timer() {
  // The Asio timer cancels a pending wait as it goes; its handler holds no `this`.
  if (tracked_) clock_.Untrack(*this);
}

void Timer::AsyncWaitUntil(SteadyTime deadline, Handler handler) {
  std::shared_ptr<Wait> wait = Arm(deadline);
  timer_.async_wait([wait, handler = std::move(handler)](const boost::system::error_code& error) {
    handler(!error || wait->fired);
  });
}

void Timer::AsyncWaitFor(SteadyDuration duration, Handler handler) {
  AsyncWaitUntil(DeadlineAfter(duration), std::move(handler));
}

asio::awaitable<bool> Timer::WaitUntil(SteadyTime deadline) {
  std::shared_ptr<Wait> wait = Arm(deadline);
  boost::system::error_code error;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, error));
  co_return !error || wait->fired;
}

asio::awaitable<bool> Timer::WaitFor(SteadyDuration duration) {
  return WaitUntil(DeadlineAfter(duration));
}

void Timer::Cancel() {
  if (tracked_) clock_.Untrack(*this);
  tracked_ = false;
  wait_.reset();
  timer_.cancel();
}

std::shared_ptr<Timer::Wait> Timer::Arm(SteadyTime deadline) {
  Cancel();
  deadline_ = deadline;
  wait_ = std::make_shared<Wait>();
  if (deadline <= clock_.SteadyNow()) {
    // Due already, on either clock: an Asio timer set in the past completes at once.
    timer_.expires_at(SteadyTime{});
  } else if (clock_.Track(*this)) {
    tracked_ = true;
    timer_.expires_at(SteadyTime::max());  // Until the clock fires it.
  } else {
    timer_.expires_at(deadline);
  }
  return wait_;
}

SteadyTime Timer::DeadlineAfter(SteadyDuration duration) const {
  const SteadyTime now = clock_.SteadyNow();
  if (duration > SteadyTime::max() - now) return SteadyTime::max();
  return now + duration;
}

void Timer::Fire() {
  tracked_ = false;
  if (wait_) wait_->fired = true;
  wait_.reset();
  timer_.cancel();  // Completes the wait, which then reports `fired`.
}

}  // namespace inmost::core
