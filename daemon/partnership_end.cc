// The end of a pairing, told to the partner (partnership.h). `inmost unpair` puts a
// PairingEnded item last on our stream, saying how far we keep theirs (nothing more
// of it is stored), and keeps the partner only until their daemon acknowledges it,
// sending nothing else; the partner's daemon, storing it, marks what we kept as
// delivered and the rest as not delivered, forgets us and refuses to send more.
#include <boost/asio/post.hpp>
#include <chrono>

#include "daemon/codec/core/question_of_the_day.h"
#include "daemon/partnership.h"

namespace inmost {
namespace {

// How long `unpair` waits for the partner's daemon to acknowledge, when the link is
// up, before it answers that they will be told later.
constexpr core::SteadyDuration kTellPartnerWithin = std::chrono::seconds(5);

// "Sam" or "your partner", as a sentence names them.
std::string Called(const std::string& name) {
  return name.empty() ? std::string("your partner") : name;
}

std::string Day(int64_t unix_ms) {
  return core::FormatUtcDate(core::UtcDay(unix_ms));
}

}  // namespace

boost::asio::awaitable<Result<control::UnpairReply>> Partnership::Unpair(
    const control::UnpairRequest& request) {
  if (!request.confirm()) co_return InvalidArgument("unpairing forgets your partner: confirm it");
  if (!partners_.partner()) co_return FailedPrecondition("not paired");
  control::UnpairReply reply;
  if (partners_.ending_since() != 0) {
    // Asked again while their daemon is still to be told: stop trying.
    Status finished = FinishEnding(false);
    if (!finished.ok()) co_return finished;
    co_return reply;
  }
  if (request.forget_history()) {
    // What is still sealed or scheduled goes nowhere now: withdrawn, keys destroyed.
    parts_.envelopes.StartWithNewPartner();
    parts_.files.StartWithNewPartner();
    parts_.drafts.StartWithNewPartner();
    INMOST_CO_ASSIGN_OR_RETURN(auto forgotten, co_await parts_.memories.ForgetAll(link_.IsUp()));
    reply.set_forgotten(forgotten.forgotten());
    reply.set_partner_asked(forgotten.partner_asked());
  }
  // The last item of our stream, and the end of what we keep of theirs: their daemon
  // learns exactly which of its messages we hold.
  peer::Deliver ended;
  ended.mutable_pairing_ended()->set_kept_up_to_seq(parts_.conversation.StopTakingItems());
  parts_.conversation.EnqueueItem(std::move(ended), 0);
  // The item is on disk before the partner record says we are ending, so a crash in
  // between never leaves an ending with nothing to tell.
  Status synced = co_await parts_.commit.Sync();
  if (!synced.ok()) co_return synced;
  Status marked = partners_.MarkEnding(clock_.NowUnixMs());
  if (!marked.ok()) co_return marked;
  log_.Info("ended the pairing; telling the partner's daemon");
  bool told = link_.IsUp() && co_await parts_.conversation.AllAcknowledged(kTellPartnerWithin);
  if (told) OnAllAcknowledged();
  reply.set_partner_told(told);
  co_return reply;
}

void Partnership::OnAllAcknowledged() {
  if (partners_.ending_since() == 0 || parts_.conversation.unacknowledged() != 0) return;
  Status finished = FinishEnding(true);
  if (!finished.ok()) log_.Error("could not forget the partner: " + finished.ToString());
}

Status Partnership::FinishEnding(bool told) {
  records::PairingEndedRecord ended;
  ended.set_name(parts_.boundaries.partner_name());
  ended.set_at_unix_ms(partners_.ending_since());
  ended.set_partner_told(told);
  INMOST_RETURN_IF_ERROR(partners_.Forget(ended));
  link_.SetPartner(std::nullopt);
  FollowPartner(std::nullopt);
  log_.Info(told ? "unpaired; the partner's daemon knows"
                 : "unpaired without telling the partner's daemon");
  return Status::Ok();
}

void Partnership::OnPairingEnded(const peer::Deliver& item) {
  const std::string name = parts_.boundaries.partner_name();
  const int64_t at = item.sent_at_unix_ms();
  std::optional<uint64_t> kept;
  if (item.pairing_ended().has_kept_up_to_seq()) kept = item.pairing_ended().kept_up_to_seq();
  parts_.conversation.AppendNotice(records::HistoryEntry::INCOMING,
                                   Called(name) + " ended the pairing on " + Day(at) + ".");
  // The rest once the item is on disk and acknowledged: the acknowledgement goes out
  // in this same completion, before the posted work forgets the partner.
  parts_.commit.AfterSync([this, at, name, kept](const Status& status) {
    if (!status.ok()) return;
    boost::asio::post(io_, [this, at, name, kept] { EndedByPartner(at, name, kept); });
  });
}

void Partnership::EndedByPartner(int64_t at_unix_ms, const std::string& name,
                                 std::optional<uint64_t> kept_up_to_seq) {
  if (!partners_.partner()) return;
  // What they never stored stays here, shown as not delivered; nothing more goes.
  parts_.envelopes.StartWithNewPartner();
  parts_.files.StartWithNewPartner();
  parts_.nudges.StartWithNewPartner();
  Status reset = parts_.conversation.StartWithNewPartner(kept_up_to_seq);
  if (!reset.ok()) log_.Error("could not close the conversation: " + reset.ToString());
  records::PairingEndedRecord ended;
  ended.set_by_partner(true);
  ended.set_name(name);
  ended.set_at_unix_ms(at_unix_ms);
  Status forgot = partners_.Forget(ended);
  if (!forgot.ok()) {
    log_.Error("could not forget the partner who ended the pairing: " + forgot.ToString());
    return;
  }
  FollowPartner(std::nullopt);
  if (!link_.IsUp()) link_.SetPartner(std::nullopt);  // Else once their side closes it.
  log_.Info("the partner ended the pairing");
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  *event.mutable_pairing_ended() = *EndedView();
  events_.Publish(event);
}

void Partnership::OnLinkDown() {
  if (!partners_.partner() && partners_.ended()) link_.SetPartner(std::nullopt);
}

Status Partnership::CanReachPartner() const {
  if (partners_.ending_since() != 0) {
    return FailedPrecondition(
        "you ended the pairing on " + Day(partners_.ending_since()) + ": nothing more is sent (" +
        Called(parts_.boundaries.partner_name()) + "'s daemon is told as soon as it is reachable)");
  }
  if (!partners_.partner() && partners_.ended() && partners_.ended()->by_partner()) {
    const auto& ended = *partners_.ended();
    return FailedPrecondition(Called(ended.name()) + " ended the pairing on " +
                              Day(ended.at_unix_ms()) +
                              ": nothing more reaches them; 'inmost invite' or 'inmost join' "
                              "pairs again");
  }
  return Status::Ok();
}

std::optional<control::PairingEnded> Partnership::EndedView() const {
  control::PairingEnded view;
  if (partners_.ending_since() != 0) {
    view.set_name(parts_.boundaries.partner_name());
    view.set_at_unix_ms(partners_.ending_since());
    return view;
  }
  if (partners_.partner() || !partners_.ended()) return std::nullopt;
  const auto& ended = *partners_.ended();
  view.set_by_partner(ended.by_partner());
  view.set_name(ended.name());
  view.set_at_unix_ms(ended.at_unix_ms());
  view.set_partner_told(ended.partner_told());
  return view;
}

}  // namespace inmost
