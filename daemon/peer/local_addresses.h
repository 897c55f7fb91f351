// Which of this machine's addresses another machine could dial: the interfaces'
// addresses (getifaddrs) and the test of one address (not loopback, not link-local,
// not unspecified). It answers questions only: it must never connect, listen or
// resolve a name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/peer/asio.h"

namespace inmost::peer {

// Whether a machine elsewhere could reach `address`: false for loopback (127.0.0.0/8,
// ::1), link-local (169.254.0.0/16, fe80::/10) and unspecified (0.0.0.0, ::) addresses,
// also when IPv4-mapped. Private (10/8, 192.168/16, fc00::/7) addresses count as
// reachable: a partner on the same network reaches them.
bool ReachableFromElsewhere(const boost::asio::ip::address& address);

// The IPv6 addresses that /proc/net/if_inet6's text `table` marks as temporary
// (privacy addresses, RFC 8981), deprecated, tentative or failed duplicate address
// detection: none of them is an address to give the partner, which keeps dialling
// what it was told long after such an address is gone.
std::vector<boost::asio::ip::address_v6> ShortLivedIPv6Addresses(std::string_view table);

// "host:port" with `port` for every address of this machine's interfaces that are up
// and ReachableFromElsewhere (IPv6 ones only with `with_ipv6`, and never a
// ShortLivedIPv6Addresses one), IPv4 first, without duplicates; empty when there is
// none (or getifaddrs fails).
std::vector<std::string> ReachableInterfaceAddresses(uint16_t port, bool with_ipv6);

// An IPv4 interface that is up, not loopback, and can broadcast or multicast: where
// the LAN beacons go (reach/lan_discovery.h).
struct LanInterface {
  boost::asio::ip::address_v4 address;
  std::optional<boost::asio::ip::address_v4> broadcast;
};
std::vector<LanInterface> LanInterfaces();

// The addresses where a machine elsewhere could reach a listener bound to `listen`
// ("host:port" as PartnerLink::listen_address gives it): for a wildcard host the
// interfaces' reachable addresses with its port ([::]: IPv4 and IPv6, as the link
// listens on both; 0.0.0.0: IPv4 only), for another host that
// address if it is ReachableFromElsewhere; at most kMaxPartnerAddresses, maybe none.
std::vector<std::string> ReachableAddressesOf(const std::string& listen);

// The global unicast IPv6 addresses (2000::/3, as text without brackets or port) where a
// listener bound to `listen` takes connections: for [::] those of the interfaces (never a
// ShortLivedIPv6Addresses one), for an IPv6 host that one if it is global, for an IPv4
// host none. The addresses a router's IPv6 firewall may open a pinhole to.
std::vector<std::string> GlobalIPv6AddressesOf(const std::string& listen);

}  // namespace inmost::peer
