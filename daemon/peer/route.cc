#include "daemon/peer/route.h"

#include "daemon/codec/tor/tor_options.h"
#include "daemon/peer/address.h"

namespace inmost::peer {

Result<Route> RouteTo(const RoutePolicy& policy, const std::string& address) {
  const bool onion = tor::IsOnionAddress(address);
  if (!onion && policy.tor_only) {
    return FailedPrecondition("tor-only: not dialling the direct address " + address);
  }
  if (!policy.proxy.empty()) {
    return Route{policy.proxy, onion ? kOnionHandshakeTimeout : policy.direct_timeout};
  }
  if (!onion) return Route{"", policy.direct_timeout};
  if (policy.tor_socks.empty()) {
    return Unavailable("cannot reach " + address +
                       ": this daemon's Tor is not ready (see the "
                       "Tor line of `inmost status`)");
  }
  return Route{policy.tor_socks, kOnionHandshakeTimeout};
}

std::vector<std::string> DirectCandidates(const std::vector<std::string>& candidates) {
  std::vector<std::string> direct;
  for (const auto& c : candidates) {
    if (!tor::IsOnionAddress(c)) direct.push_back(c);
  }
  return direct;
}

std::vector<std::string> DialOrder(const std::vector<std::string>& candidates, bool tor_only) {
  std::vector<std::string> ordered;
  if (!tor_only) ordered = DirectCandidates(candidates);
  for (const auto& c : candidates) {
    if (tor::IsOnionAddress(c)) ordered.push_back(c);
  }
  return ordered;
}

bool IsLoopbackListen(const std::string& host_port) {
  auto parsed = ParseHostPort(host_port, /*allow_port_zero=*/true);
  if (!parsed.ok()) return false;
  if (parsed->host == "localhost") return true;
  auto literal = ParseIpLiteral(parsed->host);
  return literal && literal->is_loopback();
}

}  // namespace inmost::peer
