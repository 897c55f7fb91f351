// The peer link's joiner side of pairing: tries the invite's addresses in order until
// one inviter welcomes us, then makes the pairing durable and adopts the partner. It
// must never pair when the invite is expired, our own, or we are already paired.
#include <utility>

#include "daemon/noise/limits.h"
#include "daemon/peer/address.h"
#include "daemon/peer/outbound_attempt.h"
#include "daemon/peer/pairing.h"
#include "daemon/peer/partner_link_impl.h"

namespace inmost::peer {

namespace asio = boost::asio;

asio::awaitable<Result<core::Partner>> PartnerLink::Impl::Join(std::shared_ptr<Impl> self,
                                                               JoinRequest request) {
  Impl& impl = *self;
  if (impl.stopped_) co_return Unavailable("the peer link is stopped");
  if (impl.partner_) {
    co_return FailedPrecondition("already paired: unpair before joining another invite");
  }
  if (impl.clock_.NowUnixMs() / kMillisPerSecond >= request.expires_at_unix) {
    co_return Expired("this invite has expired: ask your partner for a new one");
  }
  if (request.secret.size() != noise::kPskSize) {
    co_return InvalidArgument("an invite secret must be 32 bytes");
  }
  if (request.inviter_key == impl.identity_.public_key) {
    co_return InvalidArgument("this is our own invite");
  }
  request.addresses = SanitizeAddresses(request.addresses);
  if (request.addresses.empty()) co_return InvalidArgument("the invite has no usable address");

  bool refused = false;
  bool timed_out = false;
  Status last_error = Unavailable("cannot reach the inviter");
  for (const auto& address : request.addresses) {
    JoinAttempt attempt = co_await impl.JoinAt(address, request);
    if (impl.stopped_) co_return Unavailable("the peer link is stopped");
    if (!attempt.welcome_addresses.ok()) {
      const Status& status = attempt.welcome_addresses.status();
      impl.Debug("joining via " + address + " failed: " + status.message());
      if (attempt.timed_out) {
        timed_out = true;
      } else if (status.code() == Code::kPermissionDenied) {
        refused = true;
      } else {
        last_error = status;
      }
      continue;  // A refusal may be a wrong host dropping our mac1: try the others too.
    }
    if (impl.partner_) co_return FailedPrecondition("paired with someone else meanwhile");
    core::Partner partner;
    partner.static_key = request.inviter_key;
    partner.addresses =
        attempt.welcome_addresses->empty() ? request.addresses : *attempt.welcome_addresses;
    Status durable = impl.listener_.OnPaired(partner);
    if (!durable.ok()) co_return durable;
    impl.Info("paired with a new partner (joiner side)");
    impl.SetPartner(partner);
    co_return partner;
  }
  if (refused) co_return PermissionDenied(std::string(kInviteRefusedMessage));
  if (timed_out) {
    co_return Unavailable("the inviter did not answer within " +
                          std::to_string(impl.options_.handshake_timeout.count()) + " ms");
  }
  co_return Unavailable(
      "cannot reach the inviter at any address in the invite (last: " + last_error.message() + ")");
}

asio::awaitable<PartnerLink::Impl::JoinAttempt> PartnerLink::Impl::JoinAt(
    std::string address, const JoinRequest& request) {
  OutboundAttempt attempt(io_, handshaking_, clock_, options_.handshake_timeout);
  Status connected = co_await attempt.Connect(address, options_.proxy);
  if (!connected.ok()) co_return JoinAttempt{connected, attempt.timed_out()};
  wire::FrameDecoder decoder;
  auto welcome =
      co_await RunJoinerConversation(attempt.socket(), decoder, identity_, request.inviter_key,
                                     request.secret, request.my_addresses);
  const bool timed_out = !welcome.ok() && attempt.timed_out();
  co_return JoinAttempt{std::move(welcome), timed_out};
}

}  // namespace inmost::peer
