// Finding the partner on the same network (`lan-discovery = on`): while the link is
// down, a beacon (codec/peer/lan_beacon.h) goes out every interval on each IPv4
// interface, to a multicast group and to the interface's broadcast address; a beacon
// the partner sent makes the link dial where it came from. Incoming datagrams are
// rate-limited before any cryptography, checked in constant time (AEAD tags), and a
// nonce seen before is dropped as a replay. It must never send a key or an identifier
// in the clear, do Diffie-Hellman work for a datagram, or dial anything itself: it
// only tells the link where the partner was seen.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "control.pb.h"
#include "daemon/codec/peer/lan_beacon.h"
#include "daemon/core/clock.h"
#include "daemon/core/timer.h"
#include "daemon/core/token_bucket.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/log/logger.h"
#include "daemon/peer/asio.h"
#include "daemon/peer/local_addresses.h"

namespace inmost::reach {

inline constexpr uint16_t kBeaconPort = 7434;
inline constexpr char kBeaconGroup[] = "239.255.43.3";  // Organisation-local scope.

struct LanDiscoveryOptions {
  bool enabled = false;  // lan-discovery = on; a daemon built in code asks for it.
  std::chrono::milliseconds interval{20000};  // Between beacons while the link is down.
  uint16_t port = kBeaconPort;
  // Datagrams checked per second, and the burst: the rest are dropped unread.
  double checks_per_second = 20;
  double check_burst = 40;
};

class LanDiscovery {
 public:
  // Whether the link to the partner is up (no beacons then).
  using Linked = std::function<bool()>;
  // The partner was seen at "host:port": the link dials it if it is down, and says
  // whether it did.
  using PartnerSeen = std::function<bool(const std::string& address)>;
  // The partner's public key, nullopt while unpaired.
  using PartnerKey = std::function<std::optional<crypto::PublicKey>()>;

  // `identity` and the rest must outlive it.
  LanDiscovery(boost::asio::io_context& io, const core::Clock& clock, log::Logger& log,
               const crypto::KeyPair& identity, LanDiscoveryOptions options, PartnerKey partner_key,
               Linked linked, PartnerSeen seen);

  // Listens for beacons and starts sending them with `listen_port` (nothing when
  // disabled). A port it cannot bind leaves it "failed" in Status; the daemon runs on.
  void Start(uint16_t listen_port);
  // The link went down, or the partner changed: a beacon now, not at the next
  // interval. (Until paired, nothing is sent and every beacon is dropped.)
  void Wake() { next_beacon_.Cancel(); }
  void Stop();

  control::LanDiscoveryStatus Status() const;

 private:
  boost::asio::awaitable<void> Receive();
  boost::asio::awaitable<void> Announce();
  // Derives the pair's beacon secret when the partner changed: the one Diffie-Hellman
  // this module does, on its own timer, never for a datagram.
  void FollowPartner();
  void SendBeacons();
  void JoinGroupOnNewInterfaces(const std::vector<peer::LanInterface>& interfaces);
  void OnDatagram(const boost::asio::ip::udp::endpoint& from, std::span<const uint8_t> bytes);
  // Whether `nonce` was seen before (then a replay); remembers it otherwise.
  bool SeenBefore(const peer::BeaconNonce& nonce, int64_t slot);

  boost::asio::io_context& io_;
  const core::Clock& clock_;
  log::Logger& log_;
  const LanDiscoveryOptions options_;
  Linked linked_;
  const crypto::KeyPair& identity_;
  PartnerKey partner_key_;
  PartnerSeen seen_;
  std::optional<crypto::PublicKey> secret_for_;  // Whose the secret is.
  boost::asio::ip::udp::socket socket_;
  core::Timer next_beacon_;
  core::TokenBucket checks_;
  crypto::SecretBytes secret_;
  peer::BeaconSide own_side_ = peer::BeaconSide::kLowerKey;
  uint16_t listen_port_ = 0;
  std::set<boost::asio::ip::address_v4> joined_;
  std::deque<std::pair<peer::BeaconNonce, int64_t>> recent_nonces_;
  std::string failure_;
  bool started_ = false;
  bool stopped_ = false;
  uint64_t sent_ = 0, recognised_ = 0, dropped_ = 0, dials_ = 0;
};

}  // namespace inmost::reach
