#include "daemon/peer/local_addresses.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

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

namespace {

// Flags of /proc/net/if_inet6 (linux/if_addr.h) that make an address short-lived.
constexpr unsigned kIfaTemporary = 0x01;
constexpr unsigned kIfaDadFailed = 0x08;
constexpr unsigned kIfaDeprecated = 0x20;
constexpr unsigned kIfaTentative = 0x40;
constexpr unsigned kShortLived = kIfaTemporary | kIfaDadFailed | kIfaDeprecated | kIfaTentative;

asio::ip::address_v4 V4Of(const sockaddr* address) {
  sockaddr_in in{};
  std::memcpy(&in, address, sizeof in);
  asio::ip::address_v4::bytes_type bytes{};
  std::memcpy(bytes.data(), &in.sin_addr, bytes.size());
  return asio::ip::address_v4(bytes);
}

std::vector<asio::ip::address_v6> ShortLivedIPv6AddressesNow() {
  std::ifstream file("/proc/net/if_inet6");
  if (!file) return {};
  std::stringstream text;
  text << file.rdbuf();
  return ShortLivedIPv6Addresses(text.str());
}

}  // namespace

std::vector<asio::ip::address_v6> ShortLivedIPv6Addresses(std::string_view table) {
  // Each line: 32 hex digits of address, then interface index, prefix length, scope
  // and flags in hex, then the interface's name.
  std::vector<asio::ip::address_v6> found;
  std::istringstream lines{std::string(table)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string hex, index, prefix, scope, flags;
    if (!(fields >> hex >> index >> prefix >> scope >> flags) || hex.size() != 32) continue;
    asio::ip::address_v6::bytes_type bytes{};
    bool valid = true;
    for (size_t i = 0; i < bytes.size() && valid; ++i) {
      const std::string pair = hex.substr(2 * i, 2);
      valid = pair.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
      if (valid) bytes[i] = static_cast<uint8_t>(std::stoul(pair, nullptr, 16));
    }
    if (!valid || flags.empty() || flags.size() > 8 ||
        flags.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      continue;
    }
    if (std::stoul(flags, nullptr, 16) & kShortLived) found.emplace_back(bytes);
  }
  return found;
}

std::vector<LanInterface> LanInterfaces() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::vector<LanInterface> found;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    const unsigned flags = entry->ifa_flags;
    if ((flags & IFF_UP) == 0 || (flags & IFF_LOOPBACK) != 0) continue;
    if ((flags & (IFF_BROADCAST | IFF_MULTICAST)) == 0) continue;
    LanInterface lan{V4Of(entry->ifa_addr), std::nullopt};
    if ((flags & IFF_BROADCAST) != 0 && entry->ifa_broadaddr != nullptr) {
      lan.broadcast = V4Of(entry->ifa_broadaddr);
    }
    if (ReachableFromElsewhere(lan.address)) found.push_back(lan);
  }
  ::freeifaddrs(list);
  return found;
}

namespace {

// The reachable addresses of this machine's interfaces that are up (IPv6 ones only with
// `with_ipv6`, never a short-lived one), IPv4 first, without duplicates.
std::vector<asio::ip::address> ReachableInterfaceIps(bool with_ipv6) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::vector<asio::ip::address> found;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || (entry->ifa_flags & IFF_UP) == 0) continue;
    if (entry->ifa_addr->sa_family == AF_INET) {
      found.emplace_back(V4Of(entry->ifa_addr));
    } else if (with_ipv6 && entry->ifa_addr->sa_family == AF_INET6) {
      sockaddr_in6 in6{};
      std::memcpy(&in6, entry->ifa_addr, sizeof in6);
      asio::ip::address_v6::bytes_type bytes{};
      std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
      found.emplace_back(asio::ip::address_v6(bytes));
    }
  }
  ::freeifaddrs(list);
  if (with_ipv6) {
    const auto short_lived = ShortLivedIPv6AddressesNow();
    std::erase_if(found, [&](const asio::ip::address& a) {
      return a.is_v6() &&
             std::find(short_lived.begin(), short_lived.end(), a.to_v6()) != short_lived.end();
    });
  }
  std::stable_partition(found.begin(), found.end(),
                        [](const asio::ip::address& a) { return a.is_v4(); });
  std::vector<asio::ip::address> reachable;
  for (const auto& address : found) {
    if (ReachableFromElsewhere(address) &&
        std::find(reachable.begin(), reachable.end(), address) == reachable.end()) {
      reachable.push_back(address);
    }
  }
  return reachable;
}

}  // namespace

std::vector<std::string> ReachableInterfaceAddresses(uint16_t port, bool with_ipv6) {
  std::vector<std::string> addresses;
  for (const auto& address : ReachableInterfaceIps(with_ipv6)) {
    addresses.push_back(FormatEndpoint(asio::ip::tcp::endpoint(address, port)));
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

std::vector<std::string> GlobalIPv6AddressesOf(const std::string& listen) {
  auto parsed = ParseHostPort(listen);
  if (!parsed.ok()) return {};
  auto literal = ParseIpLiteral(parsed->host);
  if (!literal || !literal->is_v6()) return {};
  auto global = [](const asio::ip::address& a) {
    return a.is_v6() && !a.to_v6().is_v4_mapped() && (a.to_v6().to_bytes()[0] & 0xe0) == 0x20;
  };
  std::vector<std::string> addresses;
  if (!literal->is_unspecified()) {
    if (global(*literal)) addresses.push_back(literal->to_string());
    return addresses;
  }
  for (const auto& address : ReachableInterfaceIps(true)) {
    if (global(address)) addresses.push_back(address.to_string());
  }
  return addresses;
}

}  // namespace inmost::peer
