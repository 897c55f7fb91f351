// How many chunks of a file may be on their way at once. Enough to keep the path
// busy: twice the bandwidth-delay product, measured as BBR does (the highest recent
// delivery rate times the lowest recent round trip), so the window follows the link
// rather than the queue it builds. Never fewer than kMinChunks (about 1 MiB: a text
// waits behind little on a fast link), never more than kMaxChunks. Pure bookkeeping:
// the caller passes the time in, so it can be tested without a network.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>

#include "daemon/core/clock.h"

namespace inmost::core {

class SendWindow {
 public:
  using Time = SteadyTime;

  static constexpr uint64_t kMinChunks = 16;
  static constexpr uint64_t kMaxChunks = 256;

  explicit SendWindow(uint64_t chunk_bytes) : chunk_bytes_(chunk_bytes) {}

  // Chunk `index` left now.
  void OnSent(uint64_t index, Time now);
  // The recipient says chunks [0, received) have arrived.
  void OnArrived(uint64_t received, Time now);
  // Sending starts again from `index` (after a reconnect): chunks sent before are
  // no longer timed.
  void Restart(uint64_t index);
  // Chunks that may be on their way beyond the last one known to have arrived.
  uint64_t chunks() const;

  // What it measured (for tests and status displays); 0 until measured.
  double delivery_bytes_per_second() const;
  std::chrono::microseconds min_round_trip() const;

 private:
  struct RateSample {
    Time at;
    double bytes_per_second;
  };

  const uint64_t chunk_bytes_;
  std::map<uint64_t, Time> sent_;  // Chunks on their way, by index, timed.
  std::chrono::microseconds min_round_trip_{0};
  Time min_round_trip_at_{};
  std::deque<RateSample> rates_;   // Recent delivery rates, oldest first.
  uint64_t rate_from_chunks_ = 0;  // Arrivals counted since rate_from_.
  uint64_t last_received_ = 0;
  Time rate_from_{};
};

}  // namespace inmost::core
