// How the link reaches an address: directly, through the user's SOCKS5 proxy, or an
// onion address through the SOCKS port of the daemon's Tor; and what tor-only allows.
// Decisions only: it must never connect, resolve a name, or let tor-only dial direct.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "inmost/status.h"

namespace inmost::peer {

// Where a tor-only daemon listens unless told another loopback address.
inline constexpr char kTorOnlyListen[] = "127.0.0.1:7433";
// Connecting through Tor to an onion service takes seconds (a rendezvous circuit):
// an onion candidate gets this long for its connect and handshake.
inline constexpr std::chrono::milliseconds kOnionHandshakeTimeout{60'000};

struct RoutePolicy {
  std::string proxy;      // The user's SOCKS5 "host:port" for every dial, or "".
  std::string tor_socks;  // The daemon's Tor's SOCKS "host:port" once it has one, or "".
  bool tor_only = false;  // Never dial a direct address.
  std::chrono::milliseconds direct_timeout{5000};
};

struct Route {
  std::string proxy;  // "" dials directly.
  std::chrono::milliseconds timeout{0};
};

// How to dial `address` under `policy`. FailedPrecondition for a direct address under
// tor-only; Unavailable for an onion address while no Tor is there to reach it.
Result<Route> RouteTo(const RoutePolicy& policy, const std::string& address);

// `candidates` in the order to dial them: direct addresses first (faster), then onion
// ones, each group in its given order; under tor-only, the onion ones alone.
std::vector<std::string> DialOrder(const std::vector<std::string>& candidates, bool tor_only);

// The direct (not onion) ones of `candidates`, in their order.
std::vector<std::string> DirectCandidates(const std::vector<std::string>& candidates);

// Whether a listen address ("127.0.0.1:7433", "[::1]:0", "localhost:7433") accepts
// only from this machine.
bool IsLoopbackListen(const std::string& host_port);

}  // namespace inmost::peer
