// core::Timer on the two clocks (daemon/core/timer.h): under a ManualClock it fires
// exactly when the clock is advanced to its deadline, never before, and never by
// itself; under the SystemClock it is an Asio timer on real time.
#include "daemon/core/timer.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <vector>

#include "daemon/core/clock.h"

namespace inmost::core {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kStartUnixMs = 1'700'000'000'000;

// Records what a wait reported, once.
struct Outcome {
  std::optional<bool> fired;
  int calls = 0;
  Timer::Handler Handler() {
    return [this](bool f) {
      fired = f;
      ++calls;
    };
  }
};

class ManualTimerTest : public ::testing::Test {
 protected:
  ManualClock clock_{kStartUnixMs};
  boost::asio::io_context io_;
  // poll() would stop an io_context that ran out of work, and poll no more.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
};

TEST_F(ManualTimerTest, FiresWhenTheClockReachesItsDeadlineAndNotBefore) {
  Timer timer(io_, clock_);
  Outcome outcome;
  timer.AsyncWaitFor(100ms, outcome.Handler());
  EXPECT_EQ(clock_.waiting_timers(), 1u);
  io_.poll();
  EXPECT_EQ(outcome.calls, 0);

  clock_.Advance(99ms);
  io_.poll();
  EXPECT_EQ(outcome.calls, 0) << "a millisecond early";

  clock_.Advance(1ms);
  EXPECT_EQ(outcome.calls, 0) << "the handler is posted, not called from Advance";
  io_.poll();
  EXPECT_EQ(outcome.calls, 1);
  EXPECT_EQ(outcome.fired, true);
  EXPECT_EQ(clock_.waiting_timers(), 0u);

  clock_.Advance(1h);
  io_.poll();
  EXPECT_EQ(outcome.calls, 1) << "a wait fires once";
}

TEST_F(ManualTimerTest, ADeadlineAlreadyReachedFiresAtOnce) {
  Timer timer(io_, clock_);
  Outcome now;
  Outcome past;
  timer.AsyncWaitUntil(clock_.SteadyNow(), now.Handler());
  io_.poll();
  EXPECT_EQ(now.fired, true);
  timer.AsyncWaitUntil(clock_.SteadyNow() - 1s, past.Handler());
  io_.poll();
  EXPECT_EQ(past.fired, true);
  EXPECT_EQ(clock_.waiting_timers(), 0u);
}

TEST_F(ManualTimerTest, CancelEndsTheWaitAsCancelled) {
  Timer timer(io_, clock_);
  Outcome outcome;
  timer.AsyncWaitFor(1s, outcome.Handler());
  timer.Cancel();
  EXPECT_EQ(clock_.waiting_timers(), 0u);
  io_.poll();
  EXPECT_EQ(outcome.fired, false);

  clock_.Advance(2s);
  io_.poll();
  EXPECT_EQ(outcome.calls, 1);
}

TEST_F(ManualTimerTest, ANewWaitCancelsThePendingOne) {
  Timer timer(io_, clock_);
  Outcome first;
  Outcome second;
  timer.AsyncWaitFor(1s, first.Handler());
  timer.AsyncWaitFor(3s, second.Handler());
  EXPECT_EQ(clock_.waiting_timers(), 1u);
  EXPECT_EQ(timer.expiry(), clock_.SteadyNow() + 3s);
  clock_.Advance(2s);
  io_.poll();
  EXPECT_EQ(first.fired, false);
  EXPECT_EQ(second.calls, 0);
  clock_.Advance(1s);
  io_.poll();
  EXPECT_EQ(second.fired, true);
}

TEST_F(ManualTimerTest, AWaitThatFiredStaysFiredWhenCancelledLate) {
  // As with Asio: once due, a Cancel before the handler runs changes nothing.
  Timer timer(io_, clock_);
  Outcome outcome;
  timer.AsyncWaitFor(1s, outcome.Handler());
  clock_.Advance(1s);
  timer.Cancel();
  io_.poll();
  EXPECT_EQ(outcome.fired, true);
}

TEST_F(ManualTimerTest, DestructionLeavesTheClockAndCancels) {
  Outcome outcome;
  {
    Timer timer(io_, clock_);
    timer.AsyncWaitFor(1s, outcome.Handler());
    EXPECT_EQ(clock_.waiting_timers(), 1u);
  }
  EXPECT_EQ(clock_.waiting_timers(), 0u);
  clock_.Advance(2s);  // Would touch the destroyed timer if it were still registered.
  io_.poll();
  EXPECT_EQ(outcome.calls, 1);
  EXPECT_EQ(outcome.fired, false);
}

TEST_F(ManualTimerTest, OneAdvanceFiresEveryTimerItPassesEarliestFirst) {
  Timer late(io_, clock_);
  Timer early(io_, clock_);
  Timer later(io_, clock_);
  std::vector<int> order;
  late.AsyncWaitFor(20ms, [&](bool) { order.push_back(20); });
  early.AsyncWaitFor(10ms, [&](bool) { order.push_back(10); });
  later.AsyncWaitFor(1h, [&](bool) { order.push_back(3600); });
  clock_.Advance(30ms);
  io_.poll();
  EXPECT_EQ(order, (std::vector<int>{10, 20}));
  EXPECT_EQ(clock_.waiting_timers(), 1u);
}

TEST_F(ManualTimerTest, ACoroutineWaitsAndHearsWhetherItFired) {
  Timer timer(io_, clock_);
  std::vector<bool> results;
  auto wait_twice = [&]() -> boost::asio::awaitable<void> {
    results.push_back(co_await timer.WaitFor(5s));
    results.push_back(co_await timer.WaitFor(5s));
  };
  boost::asio::co_spawn(io_, wait_twice(), boost::asio::detached);
  io_.poll();
  EXPECT_TRUE(results.empty());
  clock_.Advance(5s);
  io_.poll();
  EXPECT_EQ(results, (std::vector<bool>{true}));
  timer.Cancel();
  io_.poll();
  EXPECT_EQ(results, (std::vector<bool>{true, false}));
}

TEST_F(ManualTimerTest, AnEndlessWaitNeverFires) {
  Timer timer(io_, clock_);
  Outcome outcome;
  timer.AsyncWaitFor(SteadyDuration::max(), outcome.Handler());
  EXPECT_EQ(timer.expiry(), SteadyTime::max());
  clock_.Advance(std::chrono::hours(24 * 365));
  io_.poll();
  EXPECT_EQ(outcome.calls, 0);
  timer.Cancel();
  io_.poll();
  EXPECT_EQ(outcome.fired, false);
}

TEST(ManualClock, AdvanceMovesBothClocksAndAJumpOnlyTheWallClock) {
  ManualClock clock(kStartUnixMs);
  const SteadyTime start = clock.SteadyNow();
  EXPECT_GT(start - SteadyTime{}, std::chrono::hours(1)) << "a time never set is long past";
  clock.Advance(1500ms);
  EXPECT_EQ(clock.NowUnixMs(), kStartUnixMs + 1500);
  EXPECT_EQ(clock.SteadyNow(), start + 1500ms);

  boost::asio::io_context io;
  Timer timer(io, clock);
  Outcome outcome;
  timer.AsyncWaitFor(1s, outcome.Handler());
  clock.JumpWallClock(-1h);
  clock.JumpWallClock(2h);
  io.poll();
  EXPECT_EQ(clock.NowUnixMs(), kStartUnixMs + 1500 + 3'600'000);
  EXPECT_EQ(clock.SteadyNow(), start + 1500ms);
  EXPECT_EQ(outcome.calls, 0) << "wall time does not drive timers";
  timer.Cancel();
}

TEST(SystemClockTimer, WaitsOnRealTime) {
  SystemClock clock;
  boost::asio::io_context io;
  Timer timer(io, clock);
  Outcome outcome;
  const SteadyTime start = clock.SteadyNow();
  timer.AsyncWaitFor(5ms, outcome.Handler());
  io.run();
  EXPECT_EQ(outcome.fired, true);
  EXPECT_GE(clock.SteadyNow() - start, 5ms);

  Outcome cancelled;
  timer.AsyncWaitFor(1h, cancelled.Handler());
  timer.Cancel();
  io.restart();
  io.run();
  EXPECT_EQ(cancelled.fired, false);
}

}  // namespace
}  // namespace inmost::core
