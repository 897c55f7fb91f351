#include "daemon/core/files/send_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <queue>

namespace inmost::core {
namespace {

using std::chrono::microseconds;
using Time = SendWindow::Time;

constexpr uint64_t kChunk = 64 * 1024;

// A path of `bytes_per_second` with `one_way` delay each way, driven by a sender that
// keeps SendWindow::chunks() on the way, and a recipient that reports every 8 chunks.
// Runs for `duration`; returns the bytes per second that arrived.
double Simulate(SendWindow& window, double bytes_per_second, microseconds one_way,
                microseconds duration) {
  const Time start{};
  const auto per_chunk = microseconds(static_cast<int64_t>(kChunk * 1e6 / bytes_per_second));
  uint64_t next = 0;      // Next chunk to send.
  uint64_t arrived = 0;   // Chunks arrived at the recipient.
  uint64_t reported = 0;  // Chunks the sender knows arrived.
  Time link_free = start;
  std::queue<std::pair<Time, uint64_t>> arrivals;  // When each sent chunk arrives.
  std::queue<std::pair<Time, uint64_t>> reports;   // When each report reaches the sender.
  for (Time now = start; now < start + duration; now += microseconds(100)) {
    while (!reports.empty() && reports.front().first <= now) {
      reported = std::max(reported, reports.front().second);
      window.OnArrived(reported, now);
      reports.pop();
    }
    while (next < reported + window.chunks()) {
      window.OnSent(next, now);
      link_free = std::max(link_free, now) + per_chunk;
      arrivals.emplace(link_free + one_way, ++next);
    }
    while (!arrivals.empty() && arrivals.front().first <= now) {
      arrived = arrivals.front().second;
      if (arrived % 8 == 0) reports.emplace(now + one_way, arrived);
      arrivals.pop();
    }
  }
  return static_cast<double>(arrived * kChunk) / std::chrono::duration<double>(duration).count();
}

TEST(SendWindow, StartsSmall) {
  SendWindow window(kChunk);
  EXPECT_EQ(window.chunks(), SendWindow::kMinChunks);
}

TEST(SendWindow, StaysSmallOnAFastShortPath) {
  // Loopback-like: about the minimum fills it (its own queue adds a little to the
  // round trip), so a text never waits behind much.
  SendWindow window(kChunk);
  double rate = Simulate(window, 300e6, microseconds(100), std::chrono::seconds(2));
  EXPECT_GT(rate, 250e6);
  EXPECT_LE(window.chunks(), 2 * SendWindow::kMinChunks);
}

TEST(SendWindow, GrowsToFillALongFatPath) {
  // 50 MB/s across 100 ms: 1 MiB per round trip would cap it at 10 MB/s.
  SendWindow window(kChunk);
  double rate = Simulate(window, 50e6, microseconds(50000), std::chrono::seconds(6));
  EXPECT_GT(rate, 40e6) << "the window did not open up to the path";
  EXPECT_GE(window.min_round_trip(), microseconds(100000));
  EXPECT_LT(window.min_round_trip(), microseconds(120000));
  EXPECT_GT(window.chunks(), SendWindow::kMinChunks);
}

TEST(SendWindow, NeverBeyondTheMaximum) {
  SendWindow window(kChunk);
  Simulate(window, 2e9, microseconds(150000), std::chrono::seconds(4));
  EXPECT_EQ(window.chunks(), SendWindow::kMaxChunks);
}

TEST(SendWindow, ARestartForgetsChunksInFlight) {
  SendWindow window(kChunk);
  const Time t0{};
  window.OnSent(0, t0);
  window.Restart(0);
  // A report after the restart must not time chunk 0 from its old sending.
  window.OnArrived(1, t0 + std::chrono::seconds(5));
  EXPECT_EQ(window.min_round_trip(), microseconds(0));
}

}  // namespace
}  // namespace inmost::core
