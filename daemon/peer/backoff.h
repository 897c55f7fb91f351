// Exponential backoff with jitter for redialing the partner: the delay doubles from
// an initial value up to a cap, each draw scaled by a random factor in [0.75, 1.25]
// so two daemons that lost each other at the same moment do not redial in lockstep.
// It only computes delays; it must never sleep or touch sockets.
#pragma once

#include <chrono>
#include <cstdint>

namespace inmost::peer {

// Each delay is scaled by a factor in [1 - kJitterFraction, 1 + kJitterFraction].
inline constexpr double kJitterFraction = 0.25;

class Backoff {
 public:
  // `initial` and `max` are clamped to at least 1 ms; `max` to at least `initial`.
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max);

  // The delay before the next attempt: initial, 2*initial, 4*initial, ... up to max,
  // with jitter (drawn from libsodium's CSPRNG).
  std::chrono::milliseconds Next();
  // After a success: the next delay is `initial` again.
  void Reset() { attempt_ = 0; }

  // The delay of attempt number `attempt` (0-based) before jitter.
  std::chrono::milliseconds BaseDelay(uint32_t attempt) const;
  // `base` scaled by 1 - kJitterFraction + 2 * kJitterFraction * unit (unit in [0, 1]).
  static std::chrono::milliseconds Jitter(std::chrono::milliseconds base, double unit);

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  uint32_t attempt_ = 0;
};

}  // namespace inmost::peer
