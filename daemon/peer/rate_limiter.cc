#include "daemon/peer/rate_limiter.h"

#include <algorithm>

namespace inmost::peer {
namespace {

boost::asio::ip::address Normalize(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

HelloRateLimiter::HelloRateLimiter(double rate_per_second, double burst, size_t max_sources)
    : rate_per_second_(rate_per_second),  // Each bucket keeps them in range.
      burst_(burst),
      max_sources_(std::max<size_t>(max_sources, 1)) {}

bool HelloRateLimiter::Allow(const boost::asio::ip::address& source, TimePoint now) {
  const auto key = Normalize(source);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_sources_) Evict(now);
    it = buckets_.emplace(key, core::TokenBucket(rate_per_second_, burst_, now)).first;
  }
  return it->second.TryTake(1.0, now);
}

void HelloRateLimiter::Evict(TimePoint now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = it->second.FullAt(now) ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() < max_sources_) return;
  auto stalest = std::min_element(
      buckets_.begin(), buckets_.end(),
      [](const auto& a, const auto& b) { return a.second.updated() < b.second.updated(); });
  buckets_.erase(stalest);
}

}  // namespace inmost::peer
