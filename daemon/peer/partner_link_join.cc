// The peer link's joiner side of pairing: tries the invite's addresses in order until
// one inviter welcomes us, then makes the pairing durable and adopts the partner; when
// none does, the error says what happened at each address (join_report.h). A connection
// that reaches our own acceptor is marked there (AcceptLoop), so "this daemon itself"
// is known, not guessed. It must never pair when the invite is expired, our own, or we
// are already paired.
#include <utility>

#include "daemon/noise/limits.h"
#include "daemon/peer/address.h"
#include "daemon/peer/join_report.h"
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

  // A failure at one address may be a wrong host there: try the others too.
  std::vector<JoinAttemptReport> reports;
  for (const auto& address : request.addresses) {
    JoinAttempt attempt = co_await impl.JoinAt(address, request);
    if (impl.stopped_) co_return Unavailable("the peer link is stopped");
    if (!attempt.welcome_addresses.ok()) {
      impl.Debug("joining via " + address +
                 " failed: " + attempt.welcome_addresses.status().message());
      reports.push_back(std::move(attempt.report));
      continue;
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
  co_return JoinFailed(reports, impl.options_.handshake_timeout);
}

asio::awaitable<PartnerLink::Impl::JoinAttempt> PartnerLink::Impl::JoinAt(
    std::string address, const JoinRequest& request) {
  using What = JoinAttemptReport::What;
  JoinAttemptReport report;
  report.address = address;
  auto route = RouteTo(address);
  if (!route.ok()) {
    report.what = What::kCannotConnect;
    report.detail = route.status().message();
    co_return JoinAttempt{route.status(), std::move(report)};
  }
  report.timeout = route->timeout;
  OutboundAttempt attempt(io_, handshaking_, clock_, route->timeout);
  Status connected = co_await attempt.Connect(address, route->proxy);
  if (!connected.ok()) {
    report.what = attempt.timed_out() ? What::kTimedOut : What::kCannotConnect;
    report.detail = connected.message();
    co_return JoinAttempt{connected, std::move(report)};
  }
  report.connected = true;
  // Our own acceptor marks this end if the connection reaches it (AcceptLoop).
  boost::system::error_code ec;
  const auto local = attempt.socket().local_endpoint(ec);
  const std::string our_end = ec ? "" : FormatEndpoint(local);
  if (!our_end.empty()) joining_from_[our_end] = false;
  wire::FrameDecoder decoder;
  JoinerFailure failure = JoinerFailure::kNone;
  auto welcome =
      co_await RunJoinerConversation(attempt.socket(), decoder, identity_, request.inviter_key,
                                     request.secret, request.my_addresses, failure);
  bool reached_ourselves = false;
  if (auto mark = joining_from_.find(our_end); mark != joining_from_.end()) {
    reached_ourselves = mark->second;
    joining_from_.erase(mark);
  }
  if (welcome.ok()) co_return JoinAttempt{std::move(welcome), std::move(report)};
  report.detail = welcome.status().message();
  if (reached_ourselves) {
    report.what = What::kThisDaemon;
  } else if (attempt.timed_out()) {
    report.what = What::kTimedOut;
  } else {
    switch (failure) {
      case JoinerFailure::kHungUp:
        report.what = What::kNotTheInviter;
        break;
      case JoinerFailure::kRefused:
        report.what = What::kRefused;
        break;
      case JoinerFailure::kBusy:
        report.what = What::kBusy;
        break;
      case JoinerFailure::kWrongSecret:
        report.what = What::kWrongSecret;
        break;
      case JoinerFailure::kNone:
      case JoinerFailure::kFailed:
        report.what = What::kFailed;
        break;
    }
  }
  co_return JoinAttempt{std::move(welcome), std::move(report)};
}

}  // namespace inmost::peer
