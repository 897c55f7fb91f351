#include "daemon/core/files/send_window.h"

#include <algorithm>
#include <cmath>

namespace inmost::core {
namespace {

// Round trips and rates older than this are forgotten: the path may have changed.
constexpr auto kMemory = std::chrono::seconds(10);
// A delivery rate is measured over at least this long (one sample per period).
constexpr auto kRatePeriod = std::chrono::milliseconds(50);
// The window holds this many bandwidth-delay products: one in flight while the
// acknowledgements of the other come back.
constexpr double kProductsInFlight = 2.0;

}  // namespace

void SendWindow::OnSent(uint64_t index, Time now) {
  sent_.emplace(index, now);
}

void SendWindow::OnArrived(uint64_t received, Time now) {
  // The round trip of the newest chunk reported: the older ones of a report also
  // waited for the chunks after them, which says nothing about the path.
  if (auto newest = sent_.find(received - 1); received > 0 && newest != sent_.end()) {
    auto round_trip = std::chrono::duration_cast<std::chrono::microseconds>(now - newest->second);
    if (min_round_trip_.count() == 0 || round_trip <= min_round_trip_ ||
        now - min_round_trip_at_ > kMemory) {
      min_round_trip_ = std::max(round_trip, std::chrono::microseconds(1));
      min_round_trip_at_ = now;
    }
  }
  sent_.erase(sent_.begin(), sent_.lower_bound(received));
  // Delivery rate: arrivals over a period.
  if (received > last_received_) {
    // The first report only starts the clock: what it reports arrived before.
    if (rate_from_ == Time{}) {
      rate_from_ = now;
    } else {
      rate_from_chunks_ += received - last_received_;
    }
    last_received_ = received;
  }
  const auto elapsed = now - rate_from_;
  if (rate_from_ != Time{} && elapsed >= kRatePeriod) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    rates_.push_back({now, static_cast<double>(rate_from_chunks_ * chunk_bytes_) / seconds});
    rate_from_chunks_ = 0;
    rate_from_ = now;
  }
  while (!rates_.empty() && now - rates_.front().at > kMemory) rates_.pop_front();
}

void SendWindow::Restart(uint64_t index) {
  sent_.clear();
  last_received_ = index;
  rate_from_chunks_ = 0;
  rate_from_ = Time{};
}

double SendWindow::delivery_bytes_per_second() const {
  double best = 0;
  for (const auto& sample : rates_) best = std::max(best, sample.bytes_per_second);
  return best;
}

std::chrono::microseconds SendWindow::min_round_trip() const {
  return min_round_trip_;
}

uint64_t SendWindow::chunks() const {
  const double product = delivery_bytes_per_second() *
                         std::chrono::duration<double>(min_round_trip_).count() *
                         kProductsInFlight / static_cast<double>(chunk_bytes_);
  const auto wanted = static_cast<uint64_t>(std::ceil(product));
  return std::clamp(wanted, kMinChunks, kMaxChunks);
}

}  // namespace inmost::core
