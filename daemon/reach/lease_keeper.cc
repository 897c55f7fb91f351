#include "daemon/reach/lease_keeper.h"

#include <algorithm>
#include <utility>

namespace inmost::reach {

namespace {

std::string Describe(const PortMap& map) {
  return map.external_ip + ":" + std::to_string(map.external_port) + " to " + map.internal_ip +
         ":" + std::to_string(map.internal_port) + " (" + map.protocol + ")";
}

std::string Describe(const Pinhole& pinhole) {
  return "[" + pinhole.address + "]:" + std::to_string(pinhole.port) + " (IPv6 pinhole " +
         pinhole.id + ")";
}

}  // namespace

LeaseKeeper::LeaseKeeper(uint16_t internal_port, std::chrono::seconds lease, Discover discover,
                         Addresses ipv6_addresses)
    : internal_port_(internal_port),
      lease_(lease),
      discover_(std::move(discover)),
      ipv6_addresses_(std::move(ipv6_addresses)) {}

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
  KeepMapping(now);
  if (gateway_) KeepPinholes(now);
  return state_;
}

void LeaseKeeper::KeepMapping(core::SteadyTime now) {
  if (state_.map && now < renew_at_) {
    auto still = gateway_->StillMapped(*state_.map);
    if (!still.ok()) {
      Lost(still.status());
      return;
    }
    if (*still) {
      auto ip = gateway_->ExternalAddress();
      if (!ip.ok()) {
        Lost(ip.status());
        return;
      }
      if (*ip == state_.map->external_ip) return;
      state_.news.push_back("the router's external address changed from " +
                            state_.map->external_ip + " to " + *ip);
      // Mapped again below, so the address comes from the mapping itself.
    } else {
      state_.news.push_back("the router forgot the port mapping " + Describe(*state_.map) +
                            "; mapping it again");
    }
  }
  Map(now);
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

void LeaseKeeper::KeepPinholes(core::SteadyTime now) {
  if (!ipv6_addresses_ || no_pinholes_) return;
  std::vector<std::string> wanted = ipv6_addresses_();
  if (wanted.size() > kMaxPinholes) wanted.resize(kMaxPinholes);
  auto wanted_has = [&](const std::string& address) {
    return std::find(wanted.begin(), wanted.end(), address) != wanted.end();
  };
  auto& holes = state_.pinholes;
  for (auto it = holes.begin(); it != holes.end();) {
    if (wanted_has(it->address)) {
      ++it;
      continue;
    }
    const Status closed = gateway_->ClosePinhole(*it);
    state_.news.push_back(closed.ok() ? "closed the IPv6 pinhole " + Describe(*it) +
                                            ": this machine no longer has the address"
                                      : "could not close the IPv6 pinhole " + Describe(*it) +
                                            ": " + closed.message());
    pinhole_renew_at_.erase(it->address);
    it = holes.erase(it);
  }
  std::erase_if(pinhole_retry_at_, [&](const auto& entry) { return !wanted_has(entry.first); });
  for (const auto& address : wanted) {
    auto it = std::find_if(holes.begin(), holes.end(),
                           [&](const Pinhole& p) { return p.address == address; });
    if (it == holes.end()) {
      auto retry = pinhole_retry_at_.find(address);
      if (retry != pinhole_retry_at_.end() && now < retry->second) continue;
      if (!OpenPinhole(address, now)) return;
      continue;
    }
    if (now >= pinhole_renew_at_[address]) {
      const Status renewed = gateway_->RenewPinhole(*it, PinholeLease());
      if (renewed.ok()) {
        pinhole_renew_at_[address] = now + PinholeLease() / 2;
        it->lease = PinholeLease();
        continue;
      }
      if (renewed.code() == Code::kUnavailable) return Lost(renewed);
      state_.news.push_back(renewed.code() == Code::kNotFound
                                ? "the router forgot the IPv6 pinhole " + Describe(*it) +
                                      "; opening it again"
                                : "could not renew the IPv6 pinhole " + Describe(*it) + ": " +
                                      renewed.message() + "; opening it again");
    } else {
      auto open = gateway_->PinholeOpen(*it);
      if (!open.ok()) {
        if (open.status().code() == Code::kUnavailable) return Lost(open.status());
        continue;  // It could not say: the pinhole is renewed in time all the same.
      }
      if (*open) continue;
      state_.news.push_back("the router forgot the IPv6 pinhole " + Describe(*it) +
                            "; opening it again");
    }
    holes.erase(it);
    pinhole_renew_at_.erase(address);
    if (!OpenPinhole(address, now)) return;
  }
}

bool LeaseKeeper::OpenPinhole(const std::string& address, core::SteadyTime now) {
  auto opened = gateway_->OpenPinhole(address, internal_port_, PinholeLease());
  if (opened.ok()) {
    if (opened->lease.count() <= 0 || opened->lease > PinholeLease()) {
      opened->lease = PinholeLease();
    }
    state_.news.push_back("the router lets the internet in to " + Describe(*opened));
    pinhole_retry_at_.erase(address);
    pinhole_renew_at_[address] = now + opened->lease / 2;
    state_.pinholes.push_back(std::move(*opened));
    return true;
  }
  const Status& why = opened.status();
  if (why.code() == Code::kUnavailable) {
    Lost(why);
    return false;
  }
  if (why.code() == Code::kUnsupported) {
    state_.news.push_back("no IPv6 pinholes: " + why.message());
    no_pinholes_ = true;
    return false;
  }
  // Refused (another address asked, no space left...): said once, asked again at the
  // pace of renewals.
  if (pinhole_retry_at_.count(address) == 0) {
    state_.news.push_back("no IPv6 pinhole for [" + address + "]:" +
                          std::to_string(internal_port_) + ": " + why.message());
  }
  pinhole_retry_at_[address] = now + PinholeLease() / 2;
  return true;
}

std::chrono::seconds LeaseKeeper::PinholeLease() const {
  return lease_.count() <= 0 ? kMaxPinholeLease : std::min(lease_, kMaxPinholeLease);
}

void LeaseKeeper::Lost(const Status& why) {
  if (state_.map) state_.news.push_back("lost the port mapping: " + why.message());
  if (!state_.pinholes.empty()) {
    state_.news.push_back("lost the IPv6 pinholes: " + why.message());
  }
  state_.pinholes.clear();
  pinhole_renew_at_.clear();
  pinhole_retry_at_.clear();
  no_pinholes_ = false;  // The gateway found next may open them.
  gateway_.reset();
  state_.phase = MappingState::Phase::kNone;
  state_.map.reset();
  state_.reason = why.message();
}

void LeaseKeeper::Release() {
  state_.news.clear();
  if (gateway_ && state_.map) {
    Status dropped = gateway_->Unmap(*state_.map);
    state_.news.push_back(dropped.ok() ? "dropped the port mapping " + Describe(*state_.map)
                                       : "could not drop the port mapping: " + dropped.message());
  }
  for (const auto& pinhole : state_.pinholes) {
    if (!gateway_) break;
    const Status closed = gateway_->ClosePinhole(pinhole);
    state_.news.push_back(closed.ok() ? "closed the IPv6 pinhole " + Describe(pinhole)
                                      : "could not close the IPv6 pinhole " + Describe(pinhole) +
                                            ": " + closed.message());
  }
  state_.pinholes.clear();
  pinhole_renew_at_.clear();
  state_.map.reset();
  state_.phase = MappingState::Phase::kNone;
  state_.reason = "stopped";
}

}  // namespace inmost::reach
