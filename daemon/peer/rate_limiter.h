// Per-source-address token buckets (core/token_bucket.h) for hellos that passed mac1,
// so one address cannot make us do X25519 work faster than a fixed rate. It keeps a
// bounded table and must never grow without limit, whatever addresses connect.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <map>

#include "daemon/core/token_bucket.h"

namespace inmost::peer {

// Defaults: 20 handshakes per second per address, bursts of up to 40.
inline constexpr double kDefaultHelloRatePerSecond = 20.0;
inline constexpr double kDefaultHelloBurst = 40.0;
// The most source addresses tracked at once; beyond it the stalest entry is dropped.
inline constexpr size_t kMaxTrackedSources = 4096;

class HelloRateLimiter {
 public:
  using TimePoint = core::SteadyTime;  // A Clock's SteadyNow() (core/clock.h).

  HelloRateLimiter(double rate_per_second = kDefaultHelloRatePerSecond,
                   double burst = kDefaultHelloBurst, size_t max_sources = kMaxTrackedSources);

  // Takes one token from `source`'s bucket at time `now`; false when it is empty.
  // IPv4-mapped IPv6 addresses count as their IPv4 address.
  bool Allow(const boost::asio::ip::address& source, TimePoint now);

  size_t tracked_sources() const { return buckets_.size(); }

 private:
  // Makes room for one more entry: drops entries that have refilled completely (they
  // are equivalent to a fresh bucket), or else the least recently updated one.
  void Evict(TimePoint now);

  double rate_per_second_;
  double burst_;
  size_t max_sources_;
  std::map<boost::asio::ip::address, core::TokenBucket> buckets_;
};

}  // namespace inmost::peer
