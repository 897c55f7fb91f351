#include "daemon/core/nudges.h"

#include <algorithm>

#include "daemon/core/message_view.h"
#include "daemon/crypto/bytes.h"

namespace inmost::core {
namespace {

using records::HistoryEntry;

constexpr std::string_view kLedgerKey = "nudges";
constexpr int64_t kHourMs = int64_t{3600} * 1000;
// Coalesced nudges stop counting up here: a number, not a pile.
constexpr uint32_t kMaxCount = 999;

void DropOlderThan(google::protobuf::RepeatedField<int64_t>* times, int64_t oldest) {
  times->erase(std::remove_if(times->begin(), times->end(), [&](int64_t t) { return t < oldest; }),
               times->end());
}

control::Event EventFor(const HistoryEntry& entry, int64_t now) {
  control::Event event;
  event.set_at_unix_ms(now);
  *event.mutable_message_received()->mutable_message() = MessageView(entry, false);
  return event;
}

}  // namespace

Nudges::Nudges(store::SealedStore& store, GroupCommit& commit, Conversation& conversation,
               const Boundaries& boundaries, PartnerChannel& channel, const Clock& clock,
               log::Logger& log)
    : store_(store),
      commit_(commit),
      conversation_(conversation),
      boundaries_(boundaries),
      channel_(channel),
      clock_(clock),
      log_(log) {
  // A failed write may leave the ledger counting a nudge that never reached the
  // disk, or queueing one under a history id that the next entry takes: re-read it.
  conversation_.AddReloadHook([this] {
    if (Status status = Load(); !status.ok()) {
      log_.Error("could not re-read the nudge ledger: " + status.ToString());
    }
  });
}

Status Nudges::Load() {
  ledger_.Clear();
  auto value = store_.Get(kLedgerKey);
  if (value.ok()) {
    if (!ledger_.ParseFromString(*value)) return Corruption("the nudge ledger does not parse");
  } else if (value.status().code() != Code::kNotFound) {
    return value.status();
  }
  return Status::Ok();
}

void Nudges::Prune() {
  int64_t oldest = clock_.NowUnixMs() - kHourMs;
  DropOlderThan(ledger_.mutable_sent_at_unix_ms(), oldest);
  DropOlderThan(ledger_.mutable_received_at_unix_ms(), oldest);
}

void Nudges::SaveLedger() {
  commit_.batch().Put(kLedgerKey, crypto::AsBytes(ledger_.SerializeAsString()));
}

bool Nudges::WithinSameMoment(int64_t a, int64_t b) const {
  if (a == 0 || b == 0) return false;
  return std::abs(a - b) <= int64_t{boundaries_.same_moment_seconds()} * 1000;
}

Result<control::NudgeReply> Nudges::Send(const control::NudgeRequest& request) {
  if (!control::Nudge::Kind_IsValid(request.kind())) {
    return InvalidArgument("unknown nudge kind " + std::to_string(request.kind()));
  }
  int64_t now = clock_.NowUnixMs();
  Prune();
  uint32_t budget = boundaries_.partner_nudge_budget();
  if (budget == 0) return FailedPrecondition("your partner has turned nudges off");
  if (static_cast<uint32_t>(ledger_.sent_at_unix_ms_size()) >= budget) {
    int64_t next =
        *std::min_element(ledger_.sent_at_unix_ms().begin(), ledger_.sent_at_unix_ms().end()) +
        kHourMs;
    int64_t minutes = std::max<int64_t>(1, (next - now + 59999) / 60000);
    return ResourceExhausted("your partner welcomes at most " + std::to_string(budget) +
                             " nudges an hour; the next one can go in " + std::to_string(minutes) +
                             " min");
  }
  auto kind = static_cast<uint32_t>(request.kind());
  ledger_.add_sent_at_unix_ms(now);

  HistoryEntry entry;
  control::NudgeReply reply;
  if (!channel_.IsUp()) {
    // Waits for the link; one of a kind already waiting just counts up.
    auto queued = ledger_.queued().find(kind);
    if (queued != ledger_.queued().end()) {
      auto found = conversation_.Entry(queued->second);
      if (!found.ok()) return found.status();
      entry = std::move(*found);
      entry.mutable_nudge()->set_count(std::min(entry.nudge().count() + 1, kMaxCount));
      entry.set_sent_at_unix_ms(now);
      conversation_.PutEntry(entry);
    } else {
      entry.set_direction(HistoryEntry::OUTGOING);
      entry.set_state(HistoryEntry::PENDING);
      entry.set_sent_at_unix_ms(now);
      entry.mutable_nudge()->set_kind(kind);
      entry.mutable_nudge()->set_count(1);
      entry.mutable_nudge()->set_queued(true);
      conversation_.AppendEntry(entry);
      (*ledger_.mutable_queued())[kind] = entry.id();
    }
    reply.set_queued(true);
  } else {
    entry.set_direction(HistoryEntry::OUTGOING);
    entry.set_sent_at_unix_ms(now);
    entry.mutable_nudge()->set_kind(kind);
    entry.mutable_nudge()->set_count(1);
    conversation_.AppendEntry(entry);
    peer::Deliver item;
    item.set_sent_at_unix_ms(now);
    item.mutable_nudge()->set_kind(static_cast<peer::Nudge::Kind>(kind));
    item.mutable_nudge()->set_count(1);
    entry.set_seq(conversation_.EnqueueItem(std::move(item), entry.id()));
    entry.set_state(HistoryEntry::PENDING);
    conversation_.PutEntry(entry);
    if (WithinSameMoment(now, ledger_.last_received_unix_ms())) {
      RecordSameMoment();
    } else {
      ledger_.set_last_sent_live_unix_ms(now);
    }
  }
  SaveLedger();
  reply.set_id(entry.id());
  reply.set_count(entry.nudge().count());
  return reply;
}

void Nudges::OnLinkUp() {
  if (ledger_.queued().empty()) return;
  for (const auto& [kind, history_id] : ledger_.queued()) {
    auto entry = conversation_.Entry(history_id);
    if (!entry.ok()) {
      log_.Error("a queued nudge is unreadable: " + entry.status().ToString());
      continue;
    }
    peer::Deliver item;
    item.set_sent_at_unix_ms(entry->sent_at_unix_ms());
    item.mutable_nudge()->set_kind(static_cast<peer::Nudge::Kind>(kind));
    item.mutable_nudge()->set_count(entry->nudge().count());
    item.mutable_nudge()->set_queued(true);
    entry->set_seq(conversation_.EnqueueItem(std::move(item), entry->id()));
    entry->mutable_nudge()->set_queued(false);
    conversation_.PutEntry(*entry);
  }
  ledger_.clear_queued();
  SaveLedger();
  commit_.AfterSync([](const Status&) {});  // The stream sends them once synced.
}

void Nudges::OnItem(const peer::Deliver& item) {
  const peer::Nudge& nudge = item.nudge();
  int64_t now = clock_.NowUnixMs();
  Prune();
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::INCOMING);
  entry.set_state(HistoryEntry::DELIVERED);
  entry.set_seq(item.seq());
  entry.set_sent_at_unix_ms(item.sent_at_unix_ms());
  entry.set_received_at_unix_ms(now);
  // A kind from a newer partner shows as the default kind.
  entry.mutable_nudge()->set_kind(
      peer::Nudge::Kind_IsValid(nudge.kind()) ? static_cast<uint32_t>(nudge.kind()) : 0);
  entry.mutable_nudge()->set_count(std::clamp<uint32_t>(nudge.count(), 1, kMaxCount));
  bool over_budget =
      static_cast<uint32_t>(ledger_.received_at_unix_ms_size()) >= boundaries_.nudge_budget();
  entry.mutable_nudge()->set_over_budget(over_budget);
  conversation_.AppendEntry(entry);
  if (over_budget) {
    // Once per run of nudges past it: a partner far past the budget fills no log.
    if (!told_over_budget_) {
      log_.Info("nudges beyond your budget are kept without announcing them");
    }
    told_over_budget_ = true;
  } else {
    told_over_budget_ = false;
    ledger_.add_received_at_unix_ms(now);
    conversation_.PublishWhenWritten(EventFor(entry, now));
    if (!nudge.queued()) {
      if (WithinSameMoment(now, ledger_.last_sent_live_unix_ms())) {
        RecordSameMoment();
      } else {
        ledger_.set_last_received_unix_ms(now);
      }
    }
  }
  SaveLedger();
}

void Nudges::RecordSameMoment() {
  // Each pair of nudges makes one moment: both sides start afresh.
  ledger_.set_last_sent_live_unix_ms(0);
  ledger_.set_last_received_unix_ms(0);
  HistoryEntry entry;
  entry.set_moment(true);
  entry.set_sent_at_unix_ms(clock_.NowUnixMs());
  entry.set_received_at_unix_ms(entry.sent_at_unix_ms());
  conversation_.AppendEntry(entry);
  control::Event event;
  event.set_at_unix_ms(entry.sent_at_unix_ms());
  *event.mutable_same_moment()->mutable_message() = MessageView(entry, false);
  conversation_.PublishWhenWritten(std::move(event));
  log_.Info("a same moment");
}

void Nudges::StartWithNewPartner() {
  for (const auto& [kind, history_id] : ledger_.queued()) {
    auto entry = conversation_.Entry(history_id);
    if (!entry.ok()) continue;
    entry->set_state(HistoryEntry::NOT_DELIVERED);
    entry->mutable_nudge()->set_queued(false);
    conversation_.PutEntry(*entry);
  }
  ledger_.Clear();
  SaveLedger();
}

}  // namespace inmost::core
