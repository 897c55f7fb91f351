// The conversation's incoming budget (incoming_budget.h): past it, this daemon
// stores nothing more of the partner's stream and says so once to both users; the
// partner's daemon keeps what it sends until told there is room again. An honest
// partner never meets it, so nothing here ever drops an item: it only waits.
#include <algorithm>

#include "daemon/core/conversation.h"
#include "daemon/core/stream_copy.h"

namespace inmost::core {
namespace {

// A sustained flood is refused and let in again as the hour moves on: each user is
// told at most this often.
constexpr int64_t kTellAtMostEveryMs = 3'600'000;

}  // namespace

bool Conversation::RefuseIfOverBudget(const peer::Deliver& deliver) {
  int64_t now = clock_.NowUnixMs();
  uint64_t bytes = deliver.ByteSizeLong();
  auto why = budget_.Refusal(now, std::max<uint64_t>(bytes, 1),
                             {counters_.in_unread_items(), counters_.in_unread_bytes()});
  if (!why) {
    budget_.Count(now, bytes);
    return false;
  }
  if (refusing_.empty()) {
    refusing_ = *why;
    refused_bytes_ = bytes;
    SendRefusal(false);
    if (now - told_refusing_at_ms_ >= kTellAtMostEveryMs) {
      told_refusing_at_ms_ = now;
      log_.Warning("taking no more of the partner's messages for now: " + *why +
                   "; they wait on its side");
      AppendNotice(records::HistoryEntry::INCOMING,
                   "Your partner's daemon sent " + *why +
                       ", more than this daemon takes (its --incoming-* options): the rest "
                       "waits on their side and arrives once there is room.");
      commit_.AfterWrite([](const Status&) {});
    }
  }
  return true;
}

void Conversation::MaybeLift() {
  if (refusing_.empty()) return;
  if (budget_.Refusal(clock_.NowUnixMs(), refused_bytes_,
                      {counters_.in_unread_items(), counters_.in_unread_bytes()})) {
    return;
  }
  refusing_.clear();
  log_.Info("taking the partner's messages again");
  SendRefusal(true);
}

void Conversation::SendRefusal(bool lifted) {
  peer::PeerMessage message;
  message.mutable_refusal()->set_lifted(lifted);
  if (!lifted) message.mutable_refusal()->set_reason(refusing_);
  channel_.SendToPartner(message);
}

void Conversation::OnRefusal(const peer::Refusal& refusal) {
  if (refusal.lifted()) {
    if (partner_refuses_.empty()) return;
    partner_refuses_.clear();
    log_.Info("the partner's daemon takes our messages again");
    if (out_open_) ResendUnacked();
    return;
  }
  std::string why = ShownWords(refusal.reason(), "too much for now");
  int64_t now = clock_.NowUnixMs();
  if (partner_refuses_.empty() && now - told_refused_at_ms_ >= kTellAtMostEveryMs) {
    told_refused_at_ms_ = now;
    log_.Warning("the partner's daemon refuses more of our messages for now: " + why);
    AppendNotice(records::HistoryEntry::OUTGOING,
                 "Your partner's daemon refuses more for now (" + why +
                     "): what you send waits here and leaves once it has room.");
    commit_.AfterWrite([](const Status&) {});
  }
  partner_refuses_ = std::move(why);
}

void Conversation::CountRead(const records::HistoryEntry& entry) {
  uint64_t bytes = entry.ByteSizeLong();
  counters_.set_in_unread_items(counters_.in_unread_items() -
                                std::min<uint64_t>(counters_.in_unread_items(), 1));
  counters_.set_in_unread_bytes(counters_.in_unread_bytes() -
                                std::min(counters_.in_unread_bytes(), bytes));
}

}  // namespace inmost::core
