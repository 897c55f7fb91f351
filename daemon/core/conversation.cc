// The conversation's own state (conversation.h): the counters and lineage read
// from the store, what each written batch makes durable, and a new partner. It
// never announces or acknowledges anything a successful write has not stored.
#include "daemon/core/conversation.h"

#include "daemon/core/history_index.h"
#include "daemon/core/history_keys.h"
#include "daemon/crypto/bytes.h"

namespace inmost::core {

Conversation::Conversation(store::SealedStore& store, GroupCommit& commit, EventHub& events,
                           PartnerChannel& channel, const Clock& clock, log::Logger& log)
    : store_(store), commit_(commit), events_(events), channel_(channel), clock_(clock), log_(log) {
  commit_.SetFlushHooks(
      [this](store::SealedStore::WriteBatch& batch) {
        // What this batch makes durable, announced only once it is written.
        std::string counters = counters_.SerializeAsString();
        if (counters != submitted_.SerializeAsString()) {
          batch.Put(kCountersKey, crypto::AsBytes(counters));
          submitted_ = counters_;
        }
        for (auto& e : pending_events_) flushing_events_.push_back(std::move(e));
        pending_events_.clear();
        writing_entries_.swap(unwritten_entries_);  // The writer finished the last batch.
        unwritten_entries_.clear();
        if (index_) index_->BeforeFlush();
      },
      [this](const Status& status) { AfterFlush(status); });
}

Status Conversation::Load() {
  return Reload();
}

Status Conversation::Ready() {
  if (!stale_) return Status::Ok();
  return Reload();
}

Status Conversation::Reload() {
  auto value = store_.Get(kCountersKey);
  records::ConversationCounters counters;
  if (value.ok()) {
    if (!counters.ParseFromString(*value)) return Corruption("conversation counters do not parse");
  } else if (value.status().code() != Code::kNotFound) {
    return value.status();
  }
  records::StreamLineage lineage;
  if (auto stored = store_.Get(kLineageKey); stored.ok()) {
    if (!lineage.ParseFromString(*stored)) return Corruption("the stream lineage does not parse");
  } else if (stored.status().code() != Code::kNotFound) {
    return stored.status();
  }
  lineage_ = std::move(lineage);
  // This run's incarnation counts only once it is on disk.
  if (lineage_.ours().empty() || lineage_.ours().rbegin()->id() != run_epoch_) run_epoch_.clear();
  if (counters.next_history_id() == 0) counters.set_next_history_id(1);
  if (counters.next_out_seq() == 0) counters.set_next_out_seq(1);
  counters_ = counters;
  durable_ = counters;
  submitted_ = counters;
  awaiting_ack_.clear();
  unsent_.clear();
  unwritten_entries_.clear();
  pending_events_.clear();
  if (stale_) {
    stale_ = false;
    for (const auto& hook : reloaded_) hook();
  }
  return Status::Ok();
}

void Conversation::AfterFlush(const Status& status) {
  if (!status.ok()) {
    writing_entries_.clear();
    log_.Error("store write failed: " + status.ToString());
    flushing_events_.clear();
    if (index_) index_->AfterFailedWrite();
    // Counters may have run ahead of the disk, and the batch being filled builds on
    // them: drop it, and re-read the truth from the disk (now, or before the next
    // write if the store cannot be read yet).
    commit_.DiscardPending(status);
    stale_ = true;
    // Until the disk can be read again, what the last good write stored is all
    // there is: a later write that succeeds first (the partner's boundaries are
    // taken even now) must not make durable, send or acknowledge what this one held.
    counters_ = durable_;
    submitted_ = durable_;
    awaiting_ack_.clear();
    unsent_.clear();
    unwritten_entries_.clear();
    pending_events_.clear();
    Status reload = Reload();
    if (!reload.ok()) log_.Warning("store not readable yet: " + reload.ToString());
    return;
  }
  durable_ = submitted_;
  // An acknowledgement counts once it is on disk (unacknowledged() reads durable_),
  // so whoever waits for all of them hears of it here.
  if (unacknowledged() == 0) {
    for (auto* waiter : std::exchange(ack_waiters_, {})) waiter->Cancel();
    if (all_acknowledged_) all_acknowledged_();
  }
  SendDurable();
  std::vector<control::Event> events;
  events.swap(flushing_events_);
  for (const auto& e : events) events_.Publish(e);
}

void Conversation::PublishWhenWritten(control::Event event) {
  pending_events_.push_back(std::move(event));
}

Status Conversation::StartWithNewPartner(std::optional<uint64_t> partner_kept_up_to) {
  // What the former partner never stored will never reach anyone: say so. (Acks in
  // the batch being filled have marked theirs delivered already.)
  const uint64_t kept = partner_kept_up_to.value_or(0);
  for (uint64_t seq = counters_.out_acked() + 1; seq < durable_.next_out_seq(); ++seq) {
    auto index = Outgoing(seq);
    if (!index.ok() || index->history_id() == 0) continue;
    auto entry = Entry(index->history_id());
    if (!entry.ok() || entry->state() != records::HistoryEntry::PENDING) continue;
    entry->set_state(seq <= kept ? records::HistoryEntry::DELIVERED
                                 : records::HistoryEntry::NOT_DELIVERED);
    PutEntry(*entry);
  }
  // Our seqs run from 1 to next_out_seq: every outbox index is under one of them.
  for (uint64_t seq = 1; seq < durable_.next_out_seq(); ++seq) {
    commit_.batch().Delete(OutgoingKey(seq));
  }
  awaiting_ack_.clear();
  unsent_.clear();
  heard_their_end_ = false;
  uint64_t next_history_id = counters_.next_history_id();
  uint32_t last_indexed_day = counters_.last_indexed_day();
  uint64_t last_number = counters_.last_number();
  counters_.Clear();
  counters_.set_last_number(last_number);
  counters_.set_next_history_id(next_history_id);
  counters_.set_next_out_seq(1);
  counters_.set_in_read_history_id(next_history_id - 1);
  counters_.set_partner_first_history_id(next_history_id);
  counters_.set_last_indexed_day(last_indexed_day);
  lineage_.Clear();  // Both streams start again; this run opens a new incarnation.
  run_epoch_.clear();
  PutLineage();
  commit_.FlushNow();
  if (durable_.SerializeAsString() != counters_.SerializeAsString()) {
    return IoError("could not reset the conversation for the new partner");
  }
  return Status::Ok();
}

}  // namespace inmost::core
