#include "daemon/peer/partner_link.h"

#include <algorithm>
#include <utility>

#include "daemon/peer/partner_link_impl.h"

namespace inmost::peer {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

crypto::KeyPair CopyKeyPair(const crypto::KeyPair& key_pair) {
  crypto::KeyPair copy;
  copy.private_key = crypto::SecretBytes::CopyOf(key_pair.private_key.span());
  copy.public_key = key_pair.public_key;
  return copy;
}

}  // namespace

PartnerLink::Impl::Impl(asio::io_context& io, const crypto::KeyPair& identity,
                        core::LinkListener& listener, const core::Clock& clock, log::Logger& logger,
                        LinkOptions options)
    : io_(io),
      identity_(CopyKeyPair(identity)),
      own_mac1_key_(Mac1KeyFor(identity.public_key)),
      listener_(listener),
      clock_(clock),
      logger_(logger),
      options_(options),
      acceptor_(io),
      tor_acceptor_(io),
      routes_{.proxy = options.proxy,
              .tor_socks = "",
              .tor_only = options.tor_only,
              .direct_timeout = options.handshake_timeout},
      rate_limiter_(options.hello_rate_per_second, options.hello_burst),
      dialer_(io, identity_, *this, handshaking_, clock, logger,
              {.backoff_initial = options.backoff_initial, .backoff_max = options.backoff_max}) {}

void PartnerLink::Impl::SetPartner(std::optional<core::Partner> partner) {
  if (stopped_) return;
  if (!partner) {
    if (partner_) Info("unpaired: closing the link");
    partner_.reset();
    partner_hello_keys_.reset();
    CloseAllSessions("unpaired");
    dialer_.Wake();  // It finds nobody to dial and goes idle.
    return;
  }
  partner->addresses = SanitizeAddresses(partner->addresses);
  if (partner_ && partner_->static_key != partner->static_key) {
    CloseAllSessions("the partner changed");
  }
  if (!partner_ || partner_->static_key != partner->static_key) {
    partner_stamps_.Reset();
    partner_hello_keys_.reset();
    auto keys = HelloKeys::Derive(identity_, partner->static_key);
    if (keys.ok()) {
      partner_hello_keys_ = std::move(*keys);
    } else {
      Warning("cannot accept sessions from the partner: " + keys.status().message());
    }
  }
  partner_ = std::move(partner);
  dialer_.DialNow(shared_from_this());
}

void PartnerLink::Impl::SetTorSocks(std::string socks) {
  if (stopped_ || routes_.tor_socks == socks) return;
  routes_.tor_socks = std::move(socks);
  if (!routes_.tor_socks.empty() && partner_ && !IsUp()) dialer_.DialNow(shared_from_this());
}

bool PartnerLink::Impl::PartnerSeenAt(const std::string& address) {
  if (stopped_ || !partner_ || IsUp()) return false;
  auto sane = SanitizeAddresses({address});
  if (sane.empty()) return false;
  auto& addresses = partner_->addresses;
  std::erase(addresses, sane.front());
  addresses.insert(addresses.begin(), sane.front());
  if (addresses.size() > kMaxPartnerAddresses) addresses.resize(kMaxPartnerAddresses);
  listener_.OnPartnerAddresses(addresses);
  dialer_.DialAlsoNow(sane.front(), shared_from_this());
  return true;
}

void PartnerLink::Impl::Stop() {
  if (stopped_) return;
  Info("stopping");
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  tor_acceptor_.close(ec);
  for (tcp::socket* socket : handshaking_) CloseQuietly(*socket);
  const auto sessions = std::exchange(sessions_, {});
  for (const auto& session : sessions) session->Close("stopped");
  live_.reset();
  partner_.reset();
  invite_.reset();
  dialer_.Stop();
}

std::optional<SessionSummary> PartnerLink::Impl::live_session() const {
  if (!IsUp()) return std::nullopt;
  return SessionSummary{live_->initiator_key(), live_->local_address(), live_->remote_address()};
}

size_t PartnerLink::Impl::session_count() const {
  return static_cast<size_t>(std::count_if(sessions_.begin(), sessions_.end(), [](const auto& s) {
    return s->open() && s->confirmed() && !s->retired();
  }));
}

size_t PartnerLink::Impl::pending_handshakes() const {
  const auto unconfirmed = std::count_if(sessions_.begin(), sessions_.end(), [](const auto& s) {
    return s->open() && !s->confirmed();
  });
  return pending_inbound_ + static_cast<size_t>(unconfirmed);
}

// ---------------------------------------------------------------------------------------
// PartnerLink forwards to Impl.

PartnerLink::PartnerLink(asio::io_context& io, const crypto::KeyPair& identity,
                         core::LinkListener& listener, const core::Clock& clock,
                         log::Logger& logger, LinkOptions options)
    : impl_(std::make_shared<Impl>(io, identity, listener, clock, logger, options)) {}

PartnerLink::~PartnerLink() {
  impl_->Stop();
}

Status PartnerLink::Listen(const std::string& host_port) {
  return impl_->Listen(host_port);
}
std::string PartnerLink::listen_address() const {
  return impl_->listen_address();
}
Result<std::string> PartnerLink::ListenForTor() {
  return impl_->ListenForTor();
}
void PartnerLink::SetAdvertisedAddresses(std::vector<std::string> addresses) {
  impl_->SetAdvertisedAddresses(std::move(addresses));
}
void PartnerLink::SetOnionAddress(std::string address) {
  impl_->SetOnionAddress(std::move(address));
}
void PartnerLink::SetTorSocks(std::string socks) {
  impl_->SetTorSocks(std::move(socks));
}
bool PartnerLink::PartnerSeenAt(const std::string& address) {
  return impl_->PartnerSeenAt(address);
}
void PartnerLink::SetPartner(std::optional<core::Partner> partner) {
  impl_->SetPartner(std::move(partner));
}
void PartnerLink::SetInvite(std::optional<PendingInvite> invite) {
  impl_->SetInvite(std::move(invite));
}

asio::awaitable<Result<core::Partner>> PartnerLink::Join(const identity::Invite& invite,
                                                         std::vector<std::string> my_addresses) {
  // Copied before the first suspension, so the caller's invite need not outlive the call.
  Impl::JoinRequest request;
  request.inviter_key = invite.inviter_key;
  request.secret = crypto::SecretBytes::CopyOf(invite.secret.span());
  request.addresses = invite.addresses;
  request.expires_at_unix = invite.expires_at_unix;
  request.my_addresses = std::move(my_addresses);
  return Impl::Join(impl_, std::move(request));
}

bool PartnerLink::SendToPartner(const PeerMessage& message) {
  return impl_->SendToPartner(message);
}
bool PartnerLink::IsUp() const {
  return impl_->IsUp();
}
size_t PartnerLink::QueuedBytes() const {
  return impl_->QueuedBytes();
}
void PartnerLink::Stop() {
  impl_->Stop();
}
std::optional<SessionSummary> PartnerLink::live_session() const {
  return impl_->live_session();
}
size_t PartnerLink::session_count() const {
  return impl_->session_count();
}
size_t PartnerLink::pending_handshakes() const {
  return impl_->pending_handshakes();
}
int64_t PartnerLink::last_up_unix_ms() const {
  return impl_->last_up_unix_ms();
}
std::vector<DialFailureReport> PartnerLink::dial_failures() const {
  return impl_->dial_failures();
}

}  // namespace inmost::peer
