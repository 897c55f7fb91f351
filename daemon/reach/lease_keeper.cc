#include "daemon/reach/lease_keeper.h"

#include <utility>

namespace inmost::reach {

namespace {

std::string Describe(const PortMap& map) {
  return map.external_ip + ":" + std::to_string(map.external_port) + " to " + map.internal_ip +
         ":" + std::to_string(map.internal_port) + " (" + map.protocol + ")";
}

}  // namespace

LeaseKeeper::LeaseKeeper(uint16_t internal_port, std::chrono::seconds lease, Discover discover)
    : internal_port_(internal_port), lease_(lease), discover_(std::move(discover)) {}

const MappingState& LeaseKeeper::Round(core::SteadyTime now) {
  state_.news.clear();
  if (!gateway_) {
    auto found = discover_();
    if (!found.ok()) {
      state_.phase = MappingState::Phase::kNone;
      state_.map.reset();
      state_.reason = found.status().message();
      return state_;
    }
    gateway_ = std::move(*found);
  }
  if (state_.map && now < renew_at_) {
    auto still = gateway_->StillMapped(*state_.map);
    if (!still.ok()) {
      Lost(still.status());
      return state_;
    }
    if (*still) {
      auto ip = gateway_->ExternalAddress();
      if (!ip.ok()) {
        Lost(ip.status());
        return state_;
      }
      if (*ip == state_.map->external_ip) return state_;
      state_.news.push_back("the router's external address changed from " +
                            state_.map->external_ip + " to " + *ip);
      // Mapped again below, so the address comes from the mapping itself.
    } else {
      state_.news.push_back("the router forgot the port mapping " + Describe(*state_.map) +
                            "; mapping it again");
    }
  }
  Map(now);
  return state_;
}

void LeaseKeeper::Map(core::SteadyTime now) {
  const uint16_t wanted = state_.map ? state_.map->external_port : internal_port_;
  auto mapped = gateway_->Map(internal_port_, wanted, lease_);
  if (!mapped.ok()) {
    if (mapped.status().code() == Code::kUnavailable) {
      Lost(mapped.status());
      return;
    }
    state_.phase = MappingState::Phase::kNone;
    state_.map.reset();
    state_.reason = mapped.status().message();
    return;
  }
  if (!state_.map || state_.map->external_ip != mapped->external_ip ||
      state_.map->external_port != mapped->external_port) {
    state_.news.push_back("the router forwards " + Describe(*mapped));
  }
  const bool permanent = mapped->lease.count() == 0;
  state_.expires_at = permanent ? core::SteadyTime::max() : now + mapped->lease;
  renew_at_ = permanent ? core::SteadyTime::max() : now + mapped->lease / 2;
  state_.phase = MappingState::Phase::kMapped;
  state_.reason.clear();
  state_.map = std::move(*mapped);
}

void LeaseKeeper::Lost(const Status& why) {
  if (state_.map) state_.news.push_back("lost the port mapping: " + why.message());
  gateway_.reset();
  state_.phase = MappingState::Phase::kNone;
  state_.map.reset();
  state_.reason = why.message();
}

void LeaseKeeper::Release() {
  if (gateway_ && state_.map) {
    Status dropped = gateway_->Unmap(*state_.map);
    state_.news.push_back(dropped.ok() ? "dropped the port mapping " + Describe(*state_.map)
                                       : "could not drop the port mapping: " + dropped.message());
  }
  state_.map.reset();
  state_.phase = MappingState::Phase::kNone;
  state_.reason = "stopped";
}

}  // namespace inmost::reach
