#include "daemon/reach/lan_discovery.h"

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <utility>

#include "daemon/peer/address.h"
#include "daemon/peer/local_addresses.h"

namespace inmost::reach {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

// Room for any datagram, so an oversized one is seen whole and dropped as such.
constexpr size_t kReceiveBuffer = 2048;
// Nonces remembered for the replay check: beacons stay valid for three slots, and a
// partner sends a handful per interface a minute.
constexpr size_t kRecentNonces = 512;

}  // namespace

LanDiscovery::LanDiscovery(asio::io_context& io, const core::Clock& clock, log::Logger& log,
                           const crypto::KeyPair& identity, LanDiscoveryOptions options,
                           PartnerKey partner_key, Linked linked, PartnerSeen seen)
    : io_(io),
      clock_(clock),
      log_(log),
      options_(options),
      linked_(std::move(linked)),
      identity_(identity),
      partner_key_(std::move(partner_key)),
      seen_(std::move(seen)),
      socket_(io),
      next_beacon_(io, clock),
      checks_(options_.checks_per_second, options_.check_burst, clock.SteadyNow()) {}

void LanDiscovery::Start(uint16_t listen_port) {
  if (!options_.enabled || started_ || stopped_) return;
  started_ = true;
  listen_port_ = listen_port;
  boost::system::error_code ec;
  socket_.open(udp::v4(), ec);
  if (!ec) socket_.set_option(udp::socket::reuse_address(true), ec);
  if (!ec) socket_.bind(udp::endpoint(asio::ip::address_v4::any(), options_.port), ec);
  if (ec) {
    failure_ = "cannot listen for beacons on UDP port " + std::to_string(options_.port) + ": " +
               ec.message();
    log_.Warning("lan discovery: " + failure_ + "; the partner is not found on this network");
    socket_.close(ec);
    return;
  }
  JoinGroupOnNewInterfaces(peer::LanInterfaces());
  asio::co_spawn(io_, Receive(), asio::detached);
  asio::co_spawn(io_, Announce(), asio::detached);
}

void LanDiscovery::FollowPartner() {
  const auto partner = partner_key_();
  if (partner == secret_for_) return;
  secret_for_ = partner;
  secret_.Reset();
  recent_nonces_.clear();
  if (!partner) return;
  auto secret = peer::BeaconSecret(identity_, *partner);
  if (!secret.ok()) {
    log_.Warning("lan discovery: " + secret.status().message());
    return;
  }
  secret_ = std::move(*secret);
  own_side_ = peer::SideOf(identity_.public_key, *partner);
}

void LanDiscovery::Stop() {
  stopped_ = true;
  next_beacon_.Cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  secret_.Reset();
}

asio::awaitable<void> LanDiscovery::Announce() {
  while (!stopped_) {
    FollowPartner();
    if (!secret_.empty() && !linked_()) SendBeacons();
    co_await next_beacon_.WaitFor(options_.interval);
  }
}

void LanDiscovery::SendBeacons() {
  const auto interfaces = peer::LanInterfaces();
  JoinGroupOnNewInterfaces(interfaces);
  const int64_t slot = peer::BeaconSlotAt(clock_.NowUnixMs());
  const udp::endpoint group(asio::ip::make_address_v4(kBeaconGroup), options_.port);
  for (const auto& lan : interfaces) {
    // Sent from the interface's own address, which the beacon binds as associated data.
    udp::socket out(io_);
    boost::system::error_code ec;
    out.open(udp::v4(), ec);
    if (!ec) out.bind(udp::endpoint(lan.address, 0), ec);
    if (!ec) out.set_option(asio::ip::multicast::outbound_interface(lan.address), ec);
    if (!ec) out.set_option(asio::ip::multicast::hops(1), ec);
    if (!ec) out.set_option(udp::socket::broadcast(true), ec);
    if (ec) {
      log_.Debug("lan discovery: no beacon from " + lan.address.to_string() + ": " + ec.message());
      continue;
    }
    const auto source = lan.address.to_bytes();
    std::vector<udp::endpoint> targets{group};
    if (lan.broadcast) targets.emplace_back(*lan.broadcast, options_.port);
    for (const auto& target : targets) {
      // A beacon each, so that the two copies are not taken for a replay of each other.
      const auto beacon = peer::SealBeacon(secret_, own_side_, slot, source, listen_port_);
      out.send_to(asio::buffer(beacon), target, 0, ec);
      if (!ec) ++sent_;
    }
  }
}

void LanDiscovery::JoinGroupOnNewInterfaces(const std::vector<peer::LanInterface>& interfaces) {
  const auto group = asio::ip::make_address_v4(kBeaconGroup);
  for (const auto& lan : interfaces) {
    if (joined_.contains(lan.address)) continue;
    boost::system::error_code ec;
    socket_.set_option(asio::ip::multicast::join_group(group, lan.address), ec);
    // Already joined through another address of the same interface: fine as well.
    if (!ec || ec == asio::error::address_in_use) joined_.insert(lan.address);
  }
}

asio::awaitable<void> LanDiscovery::Receive() {
  std::vector<uint8_t> buffer(kReceiveBuffer);
  udp::endpoint from;
  while (!stopped_) {
    boost::system::error_code ec;
    const size_t size = co_await socket_.async_receive_from(
        asio::buffer(buffer), from, asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_ || ec == asio::error::operation_aborted) break;
    if (ec) continue;  // A transient error (an ICMP report): keep listening.
    OnDatagram(from, std::span<const uint8_t>(buffer.data(), size));
  }
}

void LanDiscovery::OnDatagram(const udp::endpoint& from, std::span<const uint8_t> bytes) {
  // The token bucket first: a flood costs no cryptography.
  if (!checks_.TryTake(1, clock_.SteadyNow()) || secret_.empty() || !from.address().is_v4()) {
    ++dropped_;
    return;
  }
  const auto source = from.address().to_v4().to_bytes();
  const peer::BeaconSide partner_side = own_side_ == peer::BeaconSide::kLowerKey
                                            ? peer::BeaconSide::kHigherKey
                                            : peer::BeaconSide::kLowerKey;
  const int64_t slot = peer::BeaconSlotAt(clock_.NowUnixMs());
  const auto beacon = peer::OpenBeacon(secret_, partner_side, slot, source, bytes);
  // Our own, looped back by multicast or broadcast: neither the partner's nor an attack.
  if (!beacon && peer::OpenBeacon(secret_, own_side_, slot, source, bytes)) return;
  if (!beacon || beacon->port == 0 || SeenBefore(beacon->nonce, slot)) {
    ++dropped_;
    return;
  }
  ++recognised_;
  if (linked_()) return;
  const std::string address =
      peer::FormatEndpoint(asio::ip::tcp::endpoint(from.address(), beacon->port));
  log_.Debug("lan discovery: the partner's beacon came from " + address);
  if (seen_(address)) ++dials_;
}

bool LanDiscovery::SeenBefore(const peer::BeaconNonce& nonce, int64_t slot) {
  // Beacons older than the three slots OpenBeacon accepts cannot come back.
  while (!recent_nonces_.empty() && recent_nonces_.front().second < slot - 2) {
    recent_nonces_.pop_front();
  }
  for (const auto& [seen, at] : recent_nonces_) {
    if (seen == nonce) return true;
  }
  if (recent_nonces_.size() >= kRecentNonces) recent_nonces_.pop_front();
  recent_nonces_.emplace_back(nonce, slot);
  return false;
}

control::LanDiscoveryStatus LanDiscovery::Status() const {
  control::LanDiscoveryStatus status;
  if (!options_.enabled) {
    status.set_state("off");
    status.set_detail("LAN discovery is off (option lan-discovery)");
    return status;
  }
  status.set_state(failure_.empty() ? "on" : "failed");
  status.set_detail(failure_);
  status.set_sent(sent_);
  status.set_recognised(recognised_);
  status.set_dropped(dropped_);
  status.set_dials(dials_);
  return status;
}

}  // namespace inmost::reach
