#include "daemon/reach/port_mapping.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <utility>

namespace inmost::reach {

namespace asio = boost::asio;

PortMapping::PortMapping(asio::io_context& io, const core::Clock& clock, log::Logger& log,
                         core::BackgroundWork& background, PortMappingOptions options,
                         std::function<void()> on_change)
    : io_(io),
      clock_(clock),
      log_(log),
      background_(background),
      options_(options),
      on_change_(std::move(on_change)),
      next_round_(io, clock) {}

void PortMapping::Start(uint16_t internal_port, LeaseKeeper::Addresses ipv6_addresses) {
  if (!options_.enabled || started_ || stopped_) return;
  started_ = true;
  const auto timeout = options_.discover_timeout;
  keeper_ = std::make_unique<LeaseKeeper>(
      internal_port, options_.lease, [timeout] { return DiscoverGateway(timeout); },
      std::move(ipv6_addresses));
  asio::co_spawn(io_, Loop(), asio::detached);
}

void PortMapping::Stop() {
  stopped_ = true;
  next_round_.Cancel();
}

void PortMapping::WhenReleased(std::function<void()> done) {
  if (!started_ || finished_) {
    asio::post(io_, std::move(done));
    return;
  }
  when_released_.push_back(std::move(done));
}

asio::awaitable<void> PortMapping::Loop() {
  LeaseKeeper* keeper = keeper_.get();
  const core::Clock* clock = &clock_;
  while (!stopped_) {
    const std::function<MappingState()> round = [keeper, clock] {
      return keeper->Round(clock->SteadyNow());
    };
    Apply(co_await background_.Run(round));
    if (stopped_) break;
    co_await next_round_.WaitFor(NextRoundIn());
  }
  const std::function<MappingState()> release = [keeper] {
    keeper->Release();
    return keeper->state();
  };
  Apply(co_await background_.Run(release));
  finished_ = true;
  for (auto& done : std::exchange(when_released_, {})) done();
}

std::chrono::milliseconds PortMapping::NextRoundIn() {
  if (state_.phase != MappingState::Phase::kNone) {
    misses_ = 0;
    return options_.check_interval;
  }
  // No router answers (none there, or one rebooting): search less and less often.
  const auto wait = options_.check_interval * (int64_t{1} << std::min(misses_++, 10));
  return std::max(options_.check_interval, std::min<std::chrono::milliseconds>(
                                               wait, kLongestSearchInterval));
}

void PortMapping::Apply(const MappingState& state) {
  for (const auto& line : state.news) log_.Info("port mapping: " + line);
  if (state.phase == MappingState::Phase::kNone && state_.reason != state.reason && !stopped_) {
    log_.Info("port mapping: none: " + state.reason);
  }
  const auto before = external_address();
  state_ = state;
  if (external_address() != before && on_change_) on_change_();
}

std::optional<std::string> PortMapping::external_address() const {
  if (state_.phase != MappingState::Phase::kMapped || !state_.map) return std::nullopt;
  return state_.map->external_ip + ":" + std::to_string(state_.map->external_port);
}

control::PortMappingStatus PortMapping::Status() const {
  control::PortMappingStatus status;
  if (!options_.enabled) {
    status.set_state("off");
    status.set_reason("port mapping is off (option port-mapping)");
    return status;
  }
  for (const auto& pinhole : state_.pinholes) {
    status.add_ipv6_pinholes("[" + pinhole.address + "]:" + std::to_string(pinhole.port));
  }
  switch (state_.phase) {
    case MappingState::Phase::kSearching:
      status.set_state("searching");
      return status;
    case MappingState::Phase::kNone:
      status.set_state("none");
      status.set_reason(state_.reason);
      return status;
    case MappingState::Phase::kMapped:
      break;
  }
  const PortMap& map = *state_.map;
  status.set_state("mapped");
  status.set_protocol(map.protocol);
  status.set_external_address(*external_address());
  status.set_internal_address(map.internal_ip + ":" + std::to_string(map.internal_port));
  if (state_.expires_at != core::SteadyTime::max()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::seconds>(state_.expires_at - clock_.SteadyNow());
    status.set_lease_left_seconds(static_cast<uint32_t>(std::max<int64_t>(0, left.count())));
  }
  return status;
}

}  // namespace inmost::reach
