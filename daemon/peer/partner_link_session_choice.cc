// The peer link's choice of its one live session: new sessions, which one wins when two
// are up (see partner_link.h, 4.), retiring the loser, and telling the listener up and
// down. It must never cut a session the partner may still be sending on (it retires it),
// nor report a down that a session about to be confirmed would undo.
#include <algorithm>
#include <utility>

#include "daemon/codec/tor/tor_options.h"
#include "daemon/peer/address.h"
#include "daemon/peer/partner_link_impl.h"

namespace inmost::peer {

namespace asio = boost::asio;
using asio::ip::tcp;

std::shared_ptr<Session> PartnerLink::Impl::NewSession(
    tcp::socket socket, wire::FrameDecoder decoder, noise::TransportKeys keys, Session::Role role,
    const crypto::PublicKey& initiator_key, std::string remote_name) {
  SessionOptions options = SessionOptionsFromLink();
  options.through_tor = !remote_name.empty();
  options.remote_name = std::move(remote_name);
  auto session = std::make_shared<Session>(std::move(socket), std::move(decoder), std::move(keys),
                                           role, initiator_key, next_session_id_++,
                                           weak_from_this(), clock_, std::move(options));
  sessions_.push_back(session);
  session->Start();
  return session;
}

SessionOptions PartnerLink::Impl::SessionOptionsFromLink() const {
  SessionOptions options;
  options.keepalive_interval = options_.keepalive_interval;
  options.dead_after = options_.dead_after;
  options.confirm_timeout = options_.handshake_timeout;
  options.rekey_after_messages = options_.rekey_after_messages;
  return options;
}

std::shared_ptr<Session> PartnerLink::Impl::Find(const Session& session) const {
  for (const auto& candidate : sessions_) {
    if (candidate.get() == &session) return candidate;
  }
  return nullptr;
}

bool PartnerLink::Impl::Prefer(const Session& candidate, const Session& current) const {
  // Both sides know which sessions run through Tor (dialled to an onion, or in on the
  // Tor listener), so both keep the direct one: faster, and Tor stays the fallback.
  if (candidate.through_tor() != current.through_tor()) return current.through_tor();
  const auto gap = candidate.established_at() - current.established_at();
  // Long after the current one settled: the partner dialed because it lost that one.
  if (gap >= options_.handshake_timeout) return true;
  // Both sides dialed at about the same time: both pick the same one.
  if (candidate.initiator_key() != current.initiator_key()) {
    return candidate.initiator_key() < current.initiator_key();
  }
  return true;  // Same initiator: the newer one.
}

void PartnerLink::Impl::Adopt(const std::shared_ptr<Session>& session) {
  if (!session->open()) return;
  // Sessions belong to the current partner: SetPartner closes the others.
  if (stopped_ || !partner_) {
    session->Close("not paired");
    return;
  }
  if (IsUp()) {
    if (!Prefer(*session, *live_)) {
      Debug("session " + std::to_string(session->id()) + " yields to the live session " +
            std::to_string(live_->id()));
      // Retired, not cut: the partner may have sent on it before it learned the same.
      session->Retire(options_.handshake_timeout);
      return;
    }
    Debug("session " + std::to_string(session->id()) + " replaces session " +
          std::to_string(live_->id()));
    std::exchange(live_, session)->Retire(options_.handshake_timeout);
  } else {
    live_ = session;
  }
  dialer_.AfterUp();      // Backoff over; re-plan: the rehandshake timer starts now.
  down_pending_.reset();  // Replaced in time: the listener never saw it down.
  Info("link up: session " + std::to_string(session->id()) + " with the partner at " +
       session->remote_address());
  TellAddresses();
  listener_.OnLinkUp(session->remote_address());
}

void PartnerLink::Impl::OnSessionConfirmed(Session& session) {
  if (stopped_) return;
  if (auto shared = Find(session)) Adopt(shared);
}

void PartnerLink::Impl::OnSessionMessage(Session& session, const PeerMessage& message) {
  if (stopped_ || !session.open()) return;
  switch (message.kind_case()) {
    case PeerMessage::kKeepalive:
      return;  // Its arrival already counted as liveness.
    case PeerMessage::kAddresses: {
      const auto& list = message.addresses().addresses();
      auto addresses = SanitizeAddresses(std::vector<std::string>(list.begin(), list.end()));
      if (partner_ && !addresses.empty()) {
        const bool new_direct =
            std::any_of(addresses.begin(), addresses.end(), [&](const std::string& address) {
              return !tor::IsOnionAddress(address) &&
                     std::find(partner_->addresses.begin(), partner_->addresses.end(), address) ==
                         partner_->addresses.end();
            });
        // Dial the new addresses first, keeping the known ones as fallbacks.
        std::vector<std::string> merged = addresses;
        for (const auto& known : partner_->addresses) {
          if (std::find(merged.begin(), merged.end(), known) == merged.end()) {
            merged.push_back(known);
          }
        }
        merged.resize(std::min(merged.size(), kMaxPartnerAddresses));
        partner_->addresses = std::move(merged);
        listener_.OnPartnerAddresses(partner_->addresses);
        // A way around Tor may have opened: try it now, not at the next interval.
        if (new_direct) dialer_.TryDirectNow();
      }
      return;
    }
    case PeerMessage::kPairConfirm:
    case PeerMessage::kPairWelcome:
      Debug("ignored a pairing message on a session");
      return;
    default:
      // Core messages, and kinds this build does not know (the core ignores those).
      listener_.OnPeerMessage(message);
      return;
  }
}

void PartnerLink::Impl::OnSessionClosed(Session& session, const std::string& reason) {
  std::erase_if(sessions_, [&](const auto& candidate) { return candidate.get() == &session; });
  if (stopped_) return;
  if (live_.get() != &session) {
    Debug("session " + std::to_string(session.id()) + " closed: " + reason);
    // The session a deferred OnLinkDown was waiting for did not make it.
    if (down_pending_ && !IsUp() && !HasUnconfirmedSession()) {
      ReportDown(*std::exchange(down_pending_, std::nullopt));
    }
    return;
  }
  live_.reset();
  dialer_.AfterLoss();
  // When both sides dial at once, the partner may close the session we took a moment
  // before its preferred one (already answered here) confirms: no need to report a
  // down that lasts one round trip. Bounded by the confirmation timeout.
  if (HasUnconfirmedSession()) {
    Debug("session " + std::to_string(session.id()) + " closed (" + reason +
          "); waiting for the next one to confirm");
    down_pending_ = reason;
    return;
  }
  ReportDown(reason);
}

void PartnerLink::Impl::ReportDown(const std::string& reason) {
  down_pending_.reset();
  Info("link down: " + reason);
  last_up_unix_ms_ = clock_.NowUnixMs();
  listener_.OnLinkDown(reason);
}

bool PartnerLink::Impl::HasUnconfirmedSession() const {
  return std::any_of(sessions_.begin(), sessions_.end(),
                     [](const auto& s) { return s->open() && !s->confirmed(); });
}

void PartnerLink::Impl::CloseAllSessions(const std::string& reason) {
  // Close posts the notifications, so iterating a copy is only for clarity.
  const auto sessions = sessions_;
  for (const auto& session : sessions) session->Close(reason);
}

bool PartnerLink::Impl::SendToPartner(const PeerMessage& message) {
  if (!IsUp()) return false;
  return live_->Send(message);
}

std::vector<std::string> PartnerLink::Impl::AdvertisedAddresses(const tcp::endpoint& local) const {
  std::vector<std::string> addresses =
      routes_.tor_only ? std::vector<std::string>{} : DirectAddresses(local);
  if (!onion_address_.empty()) addresses.push_back(onion_address_);
  return addresses;
}

std::vector<std::string> PartnerLink::Impl::DirectAddresses(const tcp::endpoint& local) const {
  if (!advertised_.empty()) return advertised_;
  if (!acceptor_.is_open()) return {};
  boost::system::error_code ec;
  const auto listen = acceptor_.local_endpoint(ec);
  if (ec) return {};
  if (!listen.address().is_unspecified()) return {FormatEndpoint(listen)};
  // Listening on every interface: the address this connection uses is one the partner
  // can reach, at least from where it is now.
  if (local.address().is_unspecified()) return {};
  return {FormatEndpoint(tcp::endpoint(local.address(), listen.port()))};
}

void PartnerLink::Impl::TellAddresses() {
  if (!IsUp()) return;  // Told at the next link up.
  const auto addresses = AdvertisedAddresses(live_->local_endpoint());
  if (addresses.empty()) return;
  PeerMessage message;
  auto* list = message.mutable_addresses();
  for (const auto& address : addresses) list->add_addresses(address);
  live_->Send(message);
}

void PartnerLink::Impl::PreferAddress(const std::string& address) {
  if (!partner_ || partner_->addresses.empty() || partner_->addresses.front() == address) return;
  auto& addresses = partner_->addresses;
  auto found = std::find(addresses.begin(), addresses.end(), address);
  if (found == addresses.end()) return;
  // The address that worked last is tried first next time (a laptop that moved
  // between home and away reaches the partner at once).
  std::rotate(addresses.begin(), found, found + 1);
  listener_.OnPartnerAddresses(addresses);
}

// ---------------------------------------------------------------------------------------
// What the dialer sees.

std::optional<DialTarget> PartnerLink::Impl::DialTargetNow() const {
  if (stopped_ || !partner_) return std::nullopt;
  return DialTarget{partner_->static_key, DialOrder(partner_->addresses, routes_.tor_only)};
}

std::optional<core::SteadyTime> PartnerLink::Impl::FreshSessionDue() const {
  if (!IsUp()) return std::nullopt;
  // Only the lower key re-handshakes, so the two sides never race to do it.
  if (!partner_ || !(identity_.public_key < partner_->static_key)) {
    return core::SteadyTime::max();
  }
  return live_->established_at() + options_.rehandshake_after;
}

void PartnerLink::Impl::OnDialed(const std::string& candidate, DialedConnection connection) {
  // Through Tor, the TCP peer is Tor's SOCKS port: show the onion instead.
  auto session = NewSession(std::move(connection.socket), std::move(connection.decoder),
                            std::move(connection.keys), Session::Role::kInitiator,
                            identity_.public_key, tor::IsOnionAddress(candidate) ? candidate : "");
  Adopt(session);
  PreferAddress(candidate);
}

}  // namespace inmost::peer
