#include "daemon/peer/local_addresses.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "daemon/peer/address.h"

namespace inmost::peer {

namespace asio = boost::asio;

bool ReachableFromElsewhere(const asio::ip::address& address) {
  if (address.is_v6()) {
    const asio::ip::address_v6 v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
      return ReachableFromElsewhere(asio::ip::make_address_v4(asio::ip::v4_mapped, v6));
    }
    return !v6.is_loopback() && !v6.is_link_local() && !v6.is_unspecified();
  }
  const asio::ip::address_v4 v4 = address.to_v4();
  const auto bytes = v4.to_bytes();
  const bool link_local = bytes[0] == 169 && bytes[1] == 254;
  return !v4.is_loopback() && !link_local && !v4.is_unspecified();
}

std::vector<std::string> ReachableInterfaceAddresses(uint16_t port, bool with_ipv6) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::vector<asio::ip::address> found;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || (entry->ifa_flags & IFF_UP) == 0) continue;
    if (entry->ifa_addr->sa_family == AF_INET) {
      sockaddr_in in{};
      std::memcpy(&in, entry->ifa_addr, sizeof in);
      asio::ip::address_v4::bytes_type bytes{};
      std::memcpy(bytes.data(), &in.sin_addr, bytes.size());
      found.emplace_back(asio::ip::address_v4(bytes));
    } else if (with_ipv6 && entry->ifa_addr->sa_family == AF_INET6) {
      sockaddr_in6 in6{};
      std::memcpy(&in6, entry->ifa_addr, sizeof in6);
      asio::ip::address_v6::bytes_type bytes{};
      std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
      found.emplace_back(asio::ip::address_v6(bytes));
    }
  }
  ::freeifaddrs(list);
  std::stable_partition(found.begin(), found.end(),
                        [](const asio::ip::address& a) { return a.is_v4(); });
  std::vector<std::string> addresses;
  for (const auto& address : found) {
    if (!ReachableFromElsewhere(address)) continue;
    std::string text = FormatEndpoint(asio::ip::tcp::endpoint(address, port));
    if (std::find(addresses.begin(), addresses.end(), text) == addresses.end()) {
      addresses.push_back(std::move(text));
    }
  }
  return addresses;
}

std::vector<std::string> ReachableAddressesOf(const std::string& listen) {
  auto parsed = ParseHostPort(listen);
  if (!parsed.ok()) return {};
  auto literal = ParseIpLiteral(parsed->host);
  if (!literal) return {};  // listen_address() is always an IP literal.
  std::vector<std::string> addresses;
  if (literal->is_unspecified()) {
    addresses = ReachableInterfaceAddresses(parsed->port, literal->is_v6());
  } else if (ReachableFromElsewhere(*literal)) {
    addresses.push_back(listen);
  }
  if (addresses.size() > kMaxPartnerAddresses) addresses.resize(kMaxPartnerAddresses);
  return addresses;
}

}  // namespace inmost::peer
