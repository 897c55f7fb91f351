// The conversation at every link up (conversation.h): each side tells the other how
// much of its stream it holds and which incarnations wrote it (StreamHello), then
// checks its own stream against that before it sends or takes anything. A partner
// that holds less than it acknowledged (its store rolled back) gets the rest again;
// a store that finds itself an older copy (restored, copied) goes on after what its
// partner holds, renumbering what it wrote meanwhile, and asks for its lost items
// back. Nothing here trusts the partner beyond its own stream.
#include <algorithm>

#include "daemon/core/conversation.h"
#include "daemon/core/history_keys.h"
#include "daemon/core/stream_copy.h"
#include "daemon/crypto/bytes.h"

namespace inmost::core {
namespace {

// Whatever a partner's daemon calls its version, status shows no more than this.
constexpr size_t kMaxPartnerVersionBytes = 100;

// A partner that holds this much more of our stream than this copy ever wrote is
// confused, not ahead of an older copy: nothing is renumbered for it.
constexpr uint64_t kMaxSeqsAhead = uint64_t{1} << 32;
// Text bytes per StreamCopies message, well below one transport message.
constexpr size_t kMaxCopiesBytes = size_t{48} << 10;

// Items that name one of the sender's own messages move with it.
void ShiftOwnRefs(peer::Deliver& item, uint64_t after, uint64_t shift) {
  peer::MessageRef* ref = nullptr;
  if (item.has_reaction()) ref = item.mutable_reaction()->mutable_message();
  if (item.has_pin()) ref = item.mutable_pin()->mutable_message();
  if (item.has_forget()) ref = item.mutable_forget()->mutable_message();
  if (item.has_forget_answer()) ref = item.mutable_forget_answer()->mutable_message();
  if (ref != nullptr && ref->by_sender() && ref->seq() > after) ref->set_seq(ref->seq() + shift);
}

std::string Count(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + ' ' + (n == 1 ? one : many);
}

}  // namespace

void Conversation::PutLineage() {
  std::string buf;
  lineage_.SerializeToString(&buf);
  commit_.batch().Put(kLineageKey, crypto::AsBytes(buf));
}

void Conversation::OpenEpochAt(uint64_t seq) {
  if (!run_epoch_.empty()) return;
  run_epoch_ = NewEpochId();
  auto* epoch = lineage_.add_ours();
  epoch->set_id(run_epoch_);
  epoch->set_first_seq(seq);
  Trim(*lineage_.mutable_ours());
  PutLineage();  // In the batch of the first item it numbers.
}

void Conversation::SendStreamHello() {
  peer::PeerMessage message;
  auto* hello = message.mutable_stream_hello();
  hello->set_held_seq(counters_.in_stored());
  hello->set_last_number(counters_.last_number());
  hello->set_sent_at_unix_ms(clock_.NowUnixMs());
  hello->set_version(own_version_);
  *hello->mutable_held_lineage() = lineage_.theirs();
  if (lineage_.copies_to() > lineage_.copies_after()) {
    hello->set_copies_after(lineage_.copies_after());
    hello->set_copies_to(lineage_.copies_to());
  }
  channel_.SendToPartner(message);
}

void Conversation::OnStreamHello(const peer::StreamHello& hello) {
  if (hello.sent_at_unix_ms() != 0) {
    const int64_t now = clock_.NowUnixMs();
    control::PartnerDaemon described;
    described.set_version(hello.version().substr(0, kMaxPartnerVersionBytes));
    described.set_clock_offset_ms(hello.sent_at_unix_ms() - now);
    described.set_measured_at_unix_ms(now);
    partner_daemon_ = std::move(described);
  }
  // Our next numbers go above the partner's too (a new partner, or a restored store).
  if (hello.last_number() <= kMaxMessageNumber) {
    counters_.set_last_number(std::max(counters_.last_number(), hello.last_number()));
  } else {
    log_.Warning("the partner says it used message numbers up to " +
                 std::to_string(hello.last_number()) + ", past any real count; ignoring that");
  }
  if (hello.copies_to() > hello.copies_after()) SendCopies(hello.copies_after(), hello.copies_to());
  if (out_open_) return;  // Checked once per session.
  uint64_t held = hello.held_seq();
  uint64_t agreed =
      AgreedSeq(lineage_.ours(), counters_.next_out_seq() - 1, hello.held_lineage(), held);
  if (agreed < held) {
    if (held - agreed > kMaxSeqsAhead) {
      log_.Error("the partner claims to hold " + std::to_string(held - agreed) +
                 " more of our messages than this store wrote; not sending until it agrees");
      return;
    }
    Status resumed = ResumeAfter(agreed, held, hello.held_lineage());
    if (!resumed.ok()) {
      log_.Error("could not go on after the partner's copy of our messages: " + resumed.ToString() +
                 "; trying again at the next link up");
      return;
    }
    SendStreamHello();  // Now asking for the copies of what this store lost.
  } else if (held < counters_.out_acked()) {
    RewindTo(held);
  } else if (held > counters_.out_acked()) {
    OnAck(held);  // An ack lost with the last session.
  }
  OpenOurStream();
}

void Conversation::RewindTo(uint64_t held) {
  log_.Warning("the partner's daemon holds our messages only up to seq " + std::to_string(held) +
               " of " + std::to_string(counters_.out_acked()) +
               " it acknowledged (its store is an older copy): sending the rest again");
  for (uint64_t seq = held + 1; seq <= counters_.out_acked(); ++seq) {
    auto index = Outgoing(seq);
    if (!index.ok() || index->history_id() == 0) continue;
    auto entry = Entry(index->history_id());
    if (!entry.ok() || entry->seq() != seq) continue;
    if (entry->state() == records::HistoryEntry::DELIVERED ||
        entry->state() == records::HistoryEntry::READ) {
      entry->set_state(records::HistoryEntry::PENDING);
      PutEntry(*entry);
    }
  }
  // Re-sending more than needed is harmless, so memory may run ahead of the disk.
  for (auto* counters : {&counters_, &durable_}) {
    counters->set_out_acked(held);
    counters->set_out_read(std::min(counters->out_read(), held));
  }
  commit_.AfterWrite([](const Status&) {});
}

Status Conversation::ResumeAfter(uint64_t agreed, uint64_t held, const Lineage& held_lineage) {
  // Renumbering works on what is on disk: everything in flight goes first.
  commit_.FlushNow();
  INMOST_RETURN_IF_ERROR(Ready());
  uint64_t last = counters_.next_out_seq() - 1;
  agreed = AgreedSeq(lineage_.ours(), last, held_lineage, held);
  if (agreed >= held) return Status::Ok();
  uint64_t shift = held - agreed;
  log_.Warning(
      "this store is an older copy (restored from a backup, or copied): the partner "
      "holds our messages up to seq " +
      std::to_string(held) + ", this copy agrees up to " + std::to_string(agreed) + "; " +
      std::to_string(last - std::min(last, agreed)) +
      " written here since go on after it, and the partner's copies come back");
  // Their entries' numbers were given from this copy's older count, and may be ones
  // the partner already shows for what we sent after it: they get new ones, above
  // everything the partner has seen (its hello raised last_number), in their order.
  std::unordered_map<uint64_t, uint64_t> renumbered;  // History id -> new number.
  for (uint64_t seq = agreed + 1; seq <= last; ++seq) {
    auto index = Outgoing(seq);
    if (!index.ok() || index->history_id() == 0) continue;
    auto entry = Entry(index->history_id());
    if (!entry.ok() || entry->seq() != seq) continue;
    counters_.set_last_number(store::NextNumber(counters_.last_number(), side_));
    renumbered[entry->id()] = counters_.last_number();
  }
  // Our items after `agreed` never reached the partner as ours: they follow `held`.
  // Descending, so a key freed by one move is taken by a later one in this batch.
  for (uint64_t seq = last; seq > agreed; --seq) {
    auto index = Outgoing(seq);
    if (!index.ok()) {
      if (index.status().code() == Code::kNotFound) continue;
      return index.status();
    }
    commit_.batch().Delete(OutgoingKey(seq));
    if (!index->item().empty() || !index->apart_id().empty()) {
      auto item = StoredItem(*index);
      if (!item.ok() && item.status().code() != Code::kNotFound) return item.status();
      if (item.ok()) {  // One kept apart and not restored is sent as unavailable.
        ShiftOwnRefs(*item, agreed, shift);
        if (auto it = renumbered.find(index->history_id()); it != renumbered.end()) {
          item->set_number(it->second);
        }
        RestoreItem(*index, *item);
      }
    }
    std::string buf;
    index->SerializeToString(&buf);
    commit_.batch().Put(OutgoingKey(seq + shift), crypto::AsBytes(buf));
    if (index->history_id() == 0) continue;
    auto entry = Entry(index->history_id());
    if (!entry.ok()) return entry.status();
    if (entry->seq() != seq) continue;
    entry->set_seq(seq + shift);
    if (auto it = renumbered.find(entry->id()); it != renumbered.end()) {
      commit_.batch().Delete(NumberKey(entry->number()));
      entry->set_number(it->second);
      records::EntryIndex number_index;
      number_index.set_history_id(entry->id());
      commit_.batch().Put(NumberKey(entry->number()),
                          crypto::AsBytes(number_index.SerializeAsString()));
    }
    if (entry->state() == records::HistoryEntry::DELIVERED ||
        entry->state() == records::HistoryEntry::READ) {
      entry->set_state(records::HistoryEntry::PENDING);
    }
    PutEntry(*entry);
  }
  Lineage ours = Splice(lineage_.ours(), agreed, held_lineage, held);
  run_epoch_.clear();
  if (last > agreed) {
    // What moved is a new incarnation's: the partner has seen none of it.
    run_epoch_ = NewEpochId();
    auto* epoch = ours.Add();
    epoch->set_id(run_epoch_);
    epoch->set_first_seq(held + 1);
  }
  Trim(ours);
  *lineage_.mutable_ours() = std::move(ours);
  bool asking = lineage_.copies_to() > lineage_.copies_after();
  if (!asking) {
    lineage_.set_copies_recovered(0);
    lineage_.set_copies_lost(0);
  }
  lineage_.set_copies_after(asking ? std::min(lineage_.copies_after(), agreed) : agreed);
  lineage_.set_copies_to(held);
  PutLineage();
  counters_.set_next_out_seq(last + shift + 1);
  counters_.set_out_acked(held);
  counters_.set_out_read(std::min(counters_.out_read(), agreed));
  commit_.FlushNow();
  if (durable_.SerializeAsString() != counters_.SerializeAsString()) {
    return IoError("could not write the renumbered messages");
  }
  // Everything built on the old numbers (the outbox in memory, the features'
  // state) reads it again.
  stale_ = true;
  return Reload();
}

void Conversation::OpenOurStream() {
  // Whatever was queued before this point goes again, from the disk.
  while (!unsent_.empty() && unsent_.front().seq() < durable_.next_out_seq()) unsent_.pop_front();
  out_open_ = true;
  // The partner must know the incarnation before the first item it writes: the
  // one that sends from now on is opened here (on disk with that first item).
  OpenEpochAt(counters_.next_out_seq());
  peer::PeerMessage open;
  *open.mutable_stream_open()->mutable_lineage() = lineage_.ours();
  open.mutable_stream_open()->set_last_seq(durable_.next_out_seq() - 1);
  if (channel_.SendToPartner(open)) ResendUnacked();
}

void Conversation::ResendUnacked() {
  for (uint64_t seq = durable_.out_acked() + 1; seq < durable_.next_out_seq(); ++seq) {
    auto item = OutgoingItem(seq);
    if (!item.ok()) {
      log_.Error("cannot re-send item seq " + std::to_string(seq) + ": " +
                 item.status().ToString());
      continue;
    }
    peer::PeerMessage message;
    *message.mutable_deliver() = std::move(*item);
    if (!channel_.SendToPartner(message)) return;
  }
}

void Conversation::OnStreamOpen(const peer::StreamOpen& open) {
  if (in_open_) return;
  uint64_t held = counters_.in_stored();
  if (AgreedSeq(open.lineage(), open.last_seq(), lineage_.theirs(), held) != held) {
    // It should have moved on after what we hold: taking its items now would
    // acknowledge some as duplicates that are not.
    log_.Error("the partner's messages do not continue what is stored here (seq " +
               std::to_string(held) + "); not taking them");
    return;
  }
  *lineage_.mutable_theirs() = open.lineage();
  Trim(*lineage_.mutable_theirs());
  PutLineage();
  commit_.AfterWrite([](const Status&) {});  // Synced with the first item it covers.
  in_open_ = true;
}

void Conversation::SendCopies(uint64_t after, uint64_t to) {
  to = std::min(to, durable_.in_stored());
  peer::PeerMessage message;
  size_t bytes = 0;
  for (uint64_t seq = after + 1; seq <= to; ++seq) {
    peer::StreamCopy copy;
    copy.set_seq(seq);
    copy.set_what("an item");
    if (auto ref = Resolve([seq] {
          peer::MessageRef r;
          r.set_by_sender(true);
          r.set_seq(seq);
          return r;
        }());
        ref.ok()) {
      copy.set_sent_at_unix_ms(ref->sent_at_unix_ms());
      copy.set_number(ref->number());
      copy.set_what(NotPlainText(*ref));
      if (copy.what().empty()) copy.set_text(ref->text());
    }
    if (bytes + copy.text().size() > kMaxCopiesBytes && message.has_stream_copies()) {
      if (!channel_.SendToPartner(message)) return;
      message.Clear();
      bytes = 0;
    }
    bytes += copy.text().size();
    *message.mutable_stream_copies()->add_copies() = std::move(copy);
  }
  if (message.has_stream_copies()) channel_.SendToPartner(message);
}

void Conversation::OnStreamCopies(const peer::StreamCopies& copies) {
  if (lineage_.copies_to() <= lineage_.copies_after()) return;
  for (const auto& copy : copies.copies()) {
    if (copy.seq() != lineage_.copies_after() + 1) continue;  // Asked for in order, once.
    StoreCopy(copy);
    lineage_.set_copies_after(copy.seq());
    if (lineage_.copies_after() == lineage_.copies_to()) break;
  }
  if (lineage_.copies_after() == lineage_.copies_to()) {
    // Said plainly, once, in the history.
    uint64_t recovered = lineage_.copies_recovered();
    uint64_t lost = lineage_.copies_lost();
    std::string notice =
        "This copy of your history is older than what your partner's daemon holds "
        "(restored from a backup, or copied).";
    if (recovered > 0) {
      notice += ' ' + Count(recovered, "message", "messages") +
                " you sent after it came back from your partner's daemon (marked recovered).";
    }
    if (lost > 0) {
      notice += ' ' + Count(lost, "other item", "other items") +
                " you sent after it (envelopes, files, nudges, ...) could not come back: your "
                "partner has them.";
    }
    AppendNotice(records::HistoryEntry::OUTGOING, std::move(notice));
    lineage_.set_copies_after(0);
    lineage_.set_copies_to(0);
    lineage_.set_copies_recovered(0);
    lineage_.set_copies_lost(0);
  }
  PutLineage();
  commit_.AfterWrite([](const Status&) {});  // Lost in a crash, they are asked for again.
}

void Conversation::StoreCopy(const peer::StreamCopy& copy) {
  if (!copy.what().empty() || !ValidateText(copy.text(), "a copy").ok()) {
    lineage_.set_copies_lost(lineage_.copies_lost() + 1);
    return;
  }
  records::HistoryEntry entry;
  entry.set_direction(records::HistoryEntry::OUTGOING);
  entry.set_state(records::HistoryEntry::DELIVERED);
  entry.set_seq(copy.seq());
  entry.set_text(copy.text());
  entry.set_sent_at_unix_ms(copy.sent_at_unix_ms());
  entry.set_recovered(true);
  // Ours, so one of our numbers: any other the partner gives is not taken.
  const bool ours = copy.number() != 0 && copy.number() <= kMaxMessageNumber &&
                    store::NextNumber(copy.number() - 1, side_) == copy.number();
  entry.set_number(ours ? copy.number() : store::NumberFromSeq(copy.seq(), side_));
  AppendEntry(entry);
  // Indexed as ours, so the partner can name it (reactions, pins, forgetting).
  records::OutgoingIndex index;
  index.set_history_id(entry.id());
  std::string buf;
  index.SerializeToString(&buf);
  commit_.batch().Put(OutgoingKey(copy.seq()), crypto::AsBytes(buf));
  lineage_.set_copies_recovered(lineage_.copies_recovered() + 1);
}

}  // namespace inmost::core
