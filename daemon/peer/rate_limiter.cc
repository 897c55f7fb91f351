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

double SecondsBetween(HelloRateLimiter::TimePoint from, HelloRateLimiter::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

HelloRateLimiter::HelloRateLimiter(double rate_per_second, double burst, size_t max_sources)
    : rate_per_second_(std::max(rate_per_second, 0.0)),
      burst_(std::max(burst, 1.0)),
      max_sources_(std::max<size_t>(max_sources, 1)) {}

bool HelloRateLimiter::Allow(const boost::asio::ip::address& source, TimePoint now) {
  const auto key = Normalize(source);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_sources_) Evict(now);
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  const double elapsed = std::max(SecondsBetween(bucket.updated, now), 0.0);
  bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_per_second_);
  bucket.updated = std::max(bucket.updated, now);
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

void HelloRateLimiter::Evict(TimePoint now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double refilled =
        it->second.tokens + SecondsBetween(it->second.updated, now) * rate_per_second_;
    it = refilled >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() < max_sources_) return;
  auto stalest = std::min_element(
      buckets_.begin(), buckets_.end(),
      [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; });
  buckets_.erase(stalest);
}

}  // namespace inmost::peer
