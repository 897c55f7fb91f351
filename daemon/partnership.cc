#include "daemon/partnership.h"

#include "daemon/identity/fingerprint.h"
#include "daemon/identity/invite_code.h"
#include "daemon/identity/safety_number.h"
#include "daemon/peer/address.h"
#include "daemon/store/message_number.h"

namespace inmost {
namespace {

constexpr int64_t kDefaultInviteSeconds = int64_t{24} * 3600;
constexpr int64_t kMaxInviteSeconds = int64_t{30} * 24 * 3600;

}  // namespace

Partnership::Partnership(boost::asio::io_context& io, core::PartnerBook& partners,
                         peer::PartnerLink& link, PartnerState parts,
                         const crypto::KeyPair& identity, core::EventHub& events,
                         const core::Clock& clock, log::Logger& log,
                         std::function<std::vector<std::string>()> advertised,
                         InviteAddresser for_invite)
    : io_(io),
      partners_(partners),
      link_(link),
      parts_(parts),
      identity_(identity),
      events_(events),
      clock_(clock),
      log_(log),
      advertised_(std::move(advertised)),
      for_invite_(std::move(for_invite)) {}

void Partnership::Register(core::Router& router) {
  using control::Request;
  using control::Response;
  using core::Sync;
  router.OnRequest(Request::kInvite, "partnership", Sync::kNone,
                   [this](const Request& request) -> boost::asio::awaitable<Result<Response>> {
                     auto reply = co_await MakeInvite(request.invite());
                     co_return core::ReplyAs(std::move(reply), &Response::mutable_invite);
                   });
  router.OnRequest(Request::kJoin, "partnership", Sync::kNone,
                   [this](const Request& request) -> boost::asio::awaitable<Result<Response>> {
                     auto reply = co_await Join(request.join());
                     co_return core::ReplyAs(std::move(reply), &Response::mutable_join);
                   });
  router.OnRequest(Request::kUnpair, "partnership", Sync::kNone,
                   [this](const Request& request) -> boost::asio::awaitable<Result<Response>> {
                     auto reply = co_await Unpair(request.unpair());
                     co_return core::ReplyAs(std::move(reply), &Response::mutable_unpair);
                   });
  router.OnRequest(
      Request::kPartnerAddresses, "partnership", Sync::kNone,
      [this](const Request& request) { return PartnerAddresses(request.partner_addresses()); },
      &Response::mutable_partner_addresses);
  router.OnItem(peer::Deliver::kPairingEnded, "partnership",
                [this](const peer::Deliver& item) { OnPairingEnded(item); });
}

Status Partnership::OnPaired(const core::Partner& partner) {
  // Their writes are synced with the conversation's.
  parts_.envelopes.StartWithNewPartner();
  parts_.files.StartWithNewPartner();
  parts_.boundaries.StartWithNewPartner();
  parts_.nudges.StartWithNewPartner();
  parts_.drafts.StartWithNewPartner();
  INMOST_RETURN_IF_ERROR(parts_.conversation.StartWithNewPartner());
  INMOST_RETURN_IF_ERROR(partners_.Pair(partner, clock_.NowUnixMs()));
  FollowPartner(partner);
  log_.Info("paired with partner " + identity::Fingerprint(partner.static_key));
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  event.mutable_paired()->set_partner_fingerprint(identity::Fingerprint(partner.static_key));
  event.mutable_paired()->set_safety_number(
      identity::SafetyNumber(identity_.public_key, partner.static_key));
  events_.Publish(event);
  return Status::Ok();
}

void Partnership::FollowPartner(const std::optional<core::Partner>& partner) {
  parts_.conversation.SetNumberingSide(
      partner ? store::SideOf(identity_.public_key, partner->static_key)
              : store::NumberingSide::kOdd);
  if (!partner) {
    parts_.envelopes.SetQuestionOfTheDay(std::nullopt);
    return;
  }
  auto daily = core::QuestionOfTheDay::ForPair(identity_, partner->static_key);
  if (!daily.ok()) {
    log_.Warning("no question of the day: " + daily.status().ToString());
    parts_.envelopes.SetQuestionOfTheDay(std::nullopt);
    return;
  }
  parts_.envelopes.SetQuestionOfTheDay(std::move(*daily));
}

boost::asio::awaitable<Result<control::InviteReply>> Partnership::MakeInvite(
    const control::InviteRequest& request) {
  const int64_t seconds = request.expires_in_seconds() == 0
                              ? kDefaultInviteSeconds
                              : static_cast<int64_t>(request.expires_in_seconds());
  if (seconds > kMaxInviteSeconds) co_return InvalidArgument("an invite may last at most 30 days");
  if (partners_.partner()) {
    co_return FailedPrecondition("already paired; run `inmost unpair --yes` first");
  }
  std::vector<std::string> addresses(request.addresses().begin(), request.addresses().end());
  if (!addresses.empty()) co_return Issue(addresses, seconds);
  // Explicit addresses may be anything valid (a loopback one for a test on one
  // machine); the default never carries one only this machine can dial.
  INMOST_CO_ASSIGN_OR_RETURN(InviteAddressing where, co_await for_invite_());
  // That may have waited for Tor, and a join of ours may have paired meanwhile.
  if (partners_.partner()) {
    co_return FailedPrecondition("already paired; run `inmost unpair --yes` first");
  }
  auto reply = Issue(where.addresses, seconds);
  if (reply.ok()) reply->set_note(where.note);
  co_return reply;
}

Result<control::InviteReply> Partnership::Issue(const std::vector<std::string>& addresses,
                                                int64_t seconds) {
  for (const auto& a : addresses) INMOST_RETURN_IF_ERROR(identity::ValidateAddress(a));

  int64_t expires_at = clock_.NowUnixMs() / 1000 + seconds;
  INMOST_ASSIGN_OR_RETURN(auto open, partners_.CreateInvite(expires_at));
  identity::Invite invite;
  invite.inviter_key = identity_.public_key;
  invite.secret = crypto::SecretBytes::CopyOf(open.secret.span());
  invite.addresses = addresses;
  invite.expires_at_unix = expires_at;
  link_.SetInvite(peer::PendingInvite{std::move(open.secret), expires_at});
  log_.Info("invite created, expires in " + std::to_string(seconds) + " s");

  control::InviteReply reply;
  reply.set_code(identity::EncodeInvite(invite));
  reply.set_expires_at_unix(expires_at);
  return reply;
}

boost::asio::awaitable<Result<control::JoinReply>> Partnership::Join(
    const control::JoinRequest& request) {
  if (partners_.partner())
    co_return FailedPrecondition("already paired; run `inmost unpair --yes` first");
  INMOST_CO_ASSIGN_OR_RETURN(auto invite,
                             identity::ParseInvite(request.code(), clock_.NowUnixMs() / 1000));
  if (invite.inviter_key == identity_.public_key) {
    co_return InvalidArgument("this is your own invite: give it to your partner");
  }
  INMOST_CO_ASSIGN_OR_RETURN(auto partner, co_await link_.Join(invite, advertised_()));
  control::JoinReply reply;
  reply.set_partner_fingerprint(identity::Fingerprint(partner.static_key));
  reply.set_safety_number(identity::SafetyNumber(identity_.public_key, partner.static_key));
  co_return reply;
}

Result<control::PartnerAddressesReply> Partnership::PartnerAddresses(
    const control::PartnerAddressesRequest& request) {
  const auto& partner = partners_.partner();
  if (!partner) return FailedPrecondition("not paired");
  bool edits = !request.set().empty() || !request.add().empty() || !request.remove().empty();
  if (edits) {
    for (const auto* list : {&request.set(), &request.add()}) {
      for (const auto& address : *list) INMOST_RETURN_IF_ERROR(identity::ValidateAddress(address));
    }
    std::vector<std::string> addresses =
        request.set().empty()
            ? partner->addresses
            : std::vector<std::string>(request.set().begin(), request.set().end());
    for (auto it = request.add().rbegin(); it != request.add().rend(); ++it) {
      std::erase(addresses, *it);
      addresses.insert(addresses.begin(), *it);
    }
    for (const auto& address : request.remove()) std::erase(addresses, address);
    if (addresses.empty()) return InvalidArgument("the partner needs at least one address");
    if (addresses.size() > peer::kMaxPartnerAddresses) {
      return InvalidArgument("at most " + std::to_string(peer::kMaxPartnerAddresses) +
                             " addresses");
    }
    INMOST_RETURN_IF_ERROR(partners_.SetAddresses(addresses));
    link_.SetPartner(partners_.partner());  // Dials the new list from its start.
  }
  control::PartnerAddressesReply reply;
  for (const auto& address : partners_.partner()->addresses) reply.add_addresses(address);
  return reply;
}

}  // namespace inmost
