// Where this daemon says it can be reached: the addresses told to the partner and
// put in invites (direct ones, then the onion), and an invite's wait for Tor. Part of
// Daemon (daemon.h); apart only to keep each file one thing.
#include <algorithm>

#include "daemon/core/timer.h"
#include "daemon/daemon.h"
#include "daemon/peer/address.h"
#include "daemon/peer/local_addresses.h"

namespace inmost {
namespace {

namespace asio = boost::asio;

// How long an invite waits for Tor to publish the onion service (a launched tor joins
// the network and publishes in 10-40 s): long enough for a usual start, short enough
// for someone at the prompt, who is told when it was not enough.
constexpr std::chrono::seconds kInviteWaitsForOnion{30};
// What an invite holds without a published onion address, for the user to know before
// handing it on (InviteReply.note).
std::string InviteNote(bool has_onion, bool waited, bool tor_only) {
  const std::string when =
      waited ? " within " + std::to_string(kInviteWaitsForOnion.count()) + " s" : " yet";
  if (!has_onion) {
    return "this invite holds only direct addresses: Tor has made no onion service for this "
           "daemon" +
           when +
           ", so your partner can join only where one of them reaches you "
           "(the same network, or a forwarded port). Make a new invite once `inmost status` "
           "shows the onion address published";
  }
  return "Tor has not published this daemon's onion service" + when +
         ": the invite holds its onion address, which reaches you once `inmost status` shows "
         "it published; " +
         (tor_only ? std::string("until then your partner's join cannot reach you")
                   : std::string("until then your partner can join only through the direct "
                                 "addresses in it"));
}

// "[::]:7433" and "0.0.0.0:7433" accept from anywhere but cannot be dialled.
std::string DialableAddress(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return listen;
  std::string host = listen.substr(0, colon);
  if (host == "[::]" || host == "0.0.0.0" || host.empty())
    return "127.0.0.1" + listen.substr(colon);
  return listen;
}

}  // namespace

bool Daemon::OnionOnItsWay() const {
  const tor::TorState& tor = onion_.state();
  using Phase = tor::TorState::Phase;
  return options_.tor.mode != tor::TorMode::kOff && !tor.published &&
         (tor.phase == Phase::kStarting || tor.phase == Phase::kBootstrapping ||
          tor.phase == Phase::kReady);
}

asio::awaitable<Result<InviteAddressing>> Daemon::InviteAddressesOnceOnionIsOut() {
  const bool waited = OnionOnItsWay();
  if (waited) {
    core::Timer timer(io_, clock_);
    onion_waiters_.push_back(&timer);
    const core::SteadyTime deadline = clock_.SteadyNow() + kInviteWaitsForOnion;
    while (!stopped_ && OnionOnItsWay() && clock_.SteadyNow() < deadline) {
      co_await timer.WaitUntil(deadline);
    }
    std::erase(onion_waiters_, &timer);
  }
  INMOST_CO_ASSIGN_OR_RETURN(std::vector<std::string> addresses, InviteAddresses());
  InviteAddressing where{std::move(addresses), ""};
  if (options_.tor.mode == tor::TorMode::kOff || onion_.state().published) co_return where;
  where.note = InviteNote(!onion_address_.empty(), waited, options_.tor.only);
  co_return where;
}

void Daemon::SetAdvertisedAddresses(std::vector<std::string> addresses) {
  options_.advertise = std::move(addresses);
  own_addresses_.Check();
}

std::vector<std::string> Daemon::AdvertisedAddresses() const {
  std::vector<std::string> addresses;
  if (!options_.tor.only) addresses = DirectAddresses();
  if (!onion_address_.empty()) addresses.push_back(onion_address_);
  return addresses;
}

std::vector<std::string> Daemon::DirectAddresses() const {
  if (!options_.advertise.empty()) return options_.advertise;
  auto reachable = ReachableAddresses();
  if (!reachable.empty()) return reachable;
  return {DialableAddress(link_.listen_address())};
}

std::vector<std::string> Daemon::ReachableAddresses() const {
  std::vector<std::string> addresses;
  // First: it reaches this daemon from anywhere, where a private address would not.
  if (auto external = port_mapping_.external_address()) addresses.push_back(*external);
  for (auto& address : peer::ReachableAddressesOf(link_.listen_address())) {
    if (addresses.size() == peer::kMaxPartnerAddresses) break;
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
      addresses.push_back(std::move(address));
    }
  }
  return addresses;
}

Result<std::vector<std::string>> Daemon::InviteAddresses() const {
  std::vector<std::string> addresses;
  const std::string listen = link_.listen_address();
  if (!options_.tor.only) {
    // The advertise option is an explicit choice, loopback or not.
    addresses = options_.advertise.empty() ? ReachableAddresses() : options_.advertise;
  }
  if (!onion_address_.empty()) addresses.push_back(onion_address_);
  if (!addresses.empty()) return addresses;
  if (options_.tor.only) {
    return FailedPrecondition(
        "no invite made yet: with tor-only it holds only the onion address, which Tor has not "
        "made yet (see the Tor line of `inmost status`); try again in a minute");
  }
  const std::string port = listen.substr(listen.rfind(':') + 1);
  const std::string where =
      DialableAddress(listen) != listen  // A wildcard: no interface had another address.
          ? "this daemon listens on " + listen +
                " but this machine has only loopback and link-local addresses"
          : "this daemon listens only on " + listen;
  return FailedPrecondition(
      "no invite made: " + where +
      ", which your partner cannot reach from another machine. Say where they can reach "
      "you: reach each other over Tor (install tor: this daemon then runs its own onion "
      "service, option tor = auto), or set 'advertise = HOST:" +
      port +
      "' in the daemon's config (a public address or a port forwarded to this machine), "
      "or, to try inmost on this one machine, run 'inmost invite --address " +
      DialableAddress(listen) + "'");
}

}  // namespace inmost
