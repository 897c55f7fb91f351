// The conversation's delivery stream (conversation.h): our items numbered, synced
// and sent in order, re-sent until acknowledged; the partner's stored once, in
// order, and acknowledged only once synced. Nothing leaves before it is durable.
#include <algorithm>

#include "daemon/core/conversation.h"
#include "daemon/core/history_keys.h"
#include "daemon/core/message_view.h"
#include "daemon/core/stream_copy.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/envelope_seal.h"

namespace inmost::core {
namespace {

// Sent messages kept in memory until acknowledged, so an ack costs no store reads;
// beyond this (a long outage) acks read the store instead.
constexpr size_t kMaxAwaitingAckCached = 8192;

std::span<const uint8_t> Serialized(const google::protobuf::MessageLite& m, std::string& buf) {
  m.SerializeToString(&buf);
  return crypto::AsBytes(buf);
}

}  // namespace

uint64_t Conversation::unacknowledged() const {
  return durable_.next_out_seq() - 1 - durable_.out_acked();
}

boost::asio::awaitable<Result<control::SendReply>> Conversation::Send(std::string text,
                                                                      TextOptions options) {
  if (Status valid = ValidateText(text, "the message"); !valid.ok()) co_return valid;
  records::HistoryEntry entry;
  if (options.reply_to_id != 0) {
    // Only what both sides hold can be answered: the partner must find it too.
    auto answered = Entry(options.reply_to_id);
    if (!answered.ok()) co_return answered.status();
    if (auto ref = RefFor(*answered); !ref.ok()) co_return ref.status();
    entry.set_reply_to_id(options.reply_to_id);
  }
  entry.set_direction(records::HistoryEntry::OUTGOING);
  entry.set_urgent(options.urgent);
  entry.set_sent_at_unix_ms(clock_.NowUnixMs());
  entry.set_text(std::move(text));
  AppendEntry(entry);
  EnqueueText(entry);
  Status status = co_await commit_.Sync();
  if (!status.ok()) co_return status;
  control::SendReply reply;
  reply.set_id(entry.id());
  reply.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  co_return reply;
}

uint64_t Conversation::NextOutSeq() {
  uint64_t seq = counters_.next_out_seq();
  OpenEpochAt(seq);
  counters_.set_next_out_seq(seq + 1);
  return seq;
}

void Conversation::EnqueueText(records::HistoryEntry& entry) {
  entry.set_seq(NextOutSeq());
  entry.set_state(records::HistoryEntry::PENDING);
  PutEntry(entry);
  records::OutgoingIndex index;
  index.set_history_id(entry.id());
  std::string buf;
  commit_.batch().Put(OutgoingKey(entry.seq()), Serialized(index, buf));
  if (awaiting_ack_.size() < kMaxAwaitingAckCached) awaiting_ack_.emplace(entry.seq(), entry);
  peer::Deliver deliver = TextItem(entry);
  deliver.set_seq(entry.seq());
  unsent_.push_back(std::move(deliver));
}

peer::Deliver Conversation::TextItem(const records::HistoryEntry& entry) const {
  peer::Deliver deliver;
  deliver.set_number(entry.number());
  deliver.set_text(entry.text());
  deliver.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  deliver.set_urgent(entry.urgent());
  deliver.set_disappear_after_ms(entry.disappear_after_ms());
  if (entry.reply_to_id() != 0) {
    // Named as the partner knows it; an answered entry since erased keeps its seq.
    if (auto answered = Entry(entry.reply_to_id()); answered.ok()) {
      if (auto ref = RefFor(*answered); ref.ok()) *deliver.mutable_reply_to() = *ref;
    }
  }
  return deliver;
}

uint64_t Conversation::EnqueueItem(peer::Deliver item, uint64_t history_id, InBackups in_backups) {
  item.set_seq(NextOutSeq());
  if (item.sent_at_unix_ms() == 0) item.set_sent_at_unix_ms(clock_.NowUnixMs());
  if (auto entry = Entry(history_id); history_id != 0 && entry.ok()) {
    item.set_number(entry->number());
    item.set_disappear_after_ms(entry->disappear_after_ms());
  }
  records::OutgoingIndex index;
  index.set_history_id(history_id);
  if (in_backups == InBackups::kNever) index.set_apart_id(crypto::NewEnvelopeId());
  RestoreItem(index, item);
  std::string buf;
  commit_.batch().Put(OutgoingKey(item.seq()), Serialized(index, buf));
  // Not cached for acks: the entry may change before then, and items are few.
  uint64_t seq = item.seq();
  unsent_.push_back(std::move(item));
  return seq;
}

uint64_t Conversation::StopTakingItems() {
  counters_.set_ending(true);
  return counters_.in_stored();
}

void Conversation::SendDurable() {
  while (!unsent_.empty() && unsent_.front().seq() < durable_.next_out_seq()) {
    peer::PeerMessage message;
    *message.mutable_deliver() = std::move(unsent_.front());
    unsent_.pop_front();
    // When the link is down, or the streams are not yet compared, this sends
    // nothing: OpenOurStream re-sends from disk.
    if (out_open_) channel_.SendToPartner(message);
  }
}

void Conversation::OnLinkUp() {
  out_open_ = false;
  in_open_ = false;
  told_confused_ack_ = false;
  told_odd_number_ = false;
  partner_refuses_.clear();  // A partner still refusing says so again.
  SendStreamHello();
  if (!refusing_.empty()) SendRefusal(false);
  if (durable_.in_stored() > 0) SendAckNow();
  if (durable_.in_read() > 0 && send_read_receipts_) {
    peer::PeerMessage message;
    message.mutable_read_receipt()->set_up_to_seq(durable_.in_read());
    channel_.SendToPartner(message);
  }
}

void Conversation::OnPeerMessage(const peer::PeerMessage& message) {
  MaybeLift();  // Any message (a keepalive at least) tells whether time made room.
  switch (message.kind_case()) {
    // Nothing of a stream counts before both sides compared it with its copy.
    case peer::PeerMessage::kDeliver:
      if (in_open_) OnDeliver(message.deliver());
      break;
    case peer::PeerMessage::kAck:
      if (out_open_) OnAck(message.ack().up_to_seq());
      break;
    case peer::PeerMessage::kReadReceipt:
      if (out_open_) OnReadReceipt(message.read_receipt().up_to_seq());
      break;
    case peer::PeerMessage::kStreamHello:
      OnStreamHello(message.stream_hello());
      break;
    case peer::PeerMessage::kStreamOpen:
      OnStreamOpen(message.stream_open());
      break;
    case peer::PeerMessage::kStreamCopies:
      OnStreamCopies(message.stream_copies());
      break;
    case peer::PeerMessage::kRefusal:
      OnRefusal(message.refusal());
      break;
    default:
      break;  // Not ours, or from a newer partner: ignored.
  }
}

void Conversation::OnDeliver(const peer::Deliver& deliver) {
  uint64_t expected = counters_.in_stored() + 1;
  if (deliver.seq() < expected) {
    // A duplicate (a re-send after reconnect). Once it is durable, say so again.
    // Its ack was lost with a session; one per burst of duplicates is enough.
    if (deliver.seq() <= durable_.in_stored() && !duplicate_ack_due_) {
      duplicate_ack_due_ = true;
      log_.Debug("partner message seq " + std::to_string(deliver.seq()) +
                 " is stored here already; acknowledging it again");
      commit_.AfterWrite([this](const Status&) {
        duplicate_ack_due_ = false;
        SendAckNow();
      });
    }
    return;
  }
  if (counters_.ending()) {
    // We ended the pairing: nothing more of theirs is stored or acknowledged (see
    // StopTakingItems). Theirs (both ended it at once) still ends it here, once.
    if (deliver.has_pairing_ended() && !heard_their_end_) {
      heard_their_end_ = true;
      for (const auto& handler : item_handlers_) handler(deliver);
    }
    return;
  }
  if (deliver.seq() > expected) {
    if (!refusing_.empty()) return;  // What follows a refused item comes again, later.
    // A gap means an earlier message was lost with a session; the partner re-sends
    // from its oldest unacknowledged message on the next link up.
    log_.Warning("partner message seq " + std::to_string(deliver.seq()) + " arrived before seq " +
                 std::to_string(expected) + "; waiting for the re-send");
    return;
  }
  if (RefuseIfOverBudget(deliver)) return;
  // The entry this item makes takes the number it carries (derived from its seq
  // when an older build sent it), and our next numbers go above it.
  delivering_seq_ = deliver.seq();
  delivering_disappear_after_ms_ = std::max<int64_t>(0, deliver.disappear_after_ms());
  delivering_number_ = store::NumberFromSeq(deliver.seq(), store::Other(side_));
  if (deliver.number() != 0) {
    // Only a number within bounds: a larger one would run our numbers to overflow.
    // (Not a parity check: texts written while apart and renumbered at a restart can
    // carry either parity; MessageNumbersTest.TextsWrittenOnBothSidesWhileApart...)
    const uint64_t number = deliver.number();
    if (number <= kMaxMessageNumber) {
      delivering_number_ = number;
    } else if (!told_odd_number_) {
      told_odd_number_ = true;
      log_.Warning("the partner numbered its message seq " + std::to_string(deliver.seq()) + " #" +
                   std::to_string(number) + ", which is not one of its numbers; it is #" +
                   std::to_string(delivering_number_) + " here");
    }
  }
  counters_.set_last_number(std::max(counters_.last_number(), delivering_number_));
  if (deliver.item_case() != peer::Deliver::ITEM_NOT_SET && !deliver.has_unavailable()) {
    for (const auto& handler : item_handlers_) handler(deliver);
    counters_.set_in_stored(deliver.seq());
    AckWhenSynced();
    return;
  }
  records::HistoryEntry entry;
  entry.set_direction(records::HistoryEntry::INCOMING);
  entry.set_state(records::HistoryEntry::DELIVERED);
  entry.set_seq(deliver.seq());
  if (deliver.has_unavailable()) {
    // Keeps its place, and says plainly what is missing.
    entry.set_notice("Your partner sent " + ShownWords(deliver.unavailable().what()) +
                     " here that this copy of the store lost and that could not be sent again.");
  } else {
    entry.set_text(deliver.text());
    entry.set_urgent(deliver.urgent());
    if (deliver.has_reply_to()) {
      // What it answers, if we still have it (quoted from our own copy).
      auto answered = Resolve(deliver.reply_to());
      if (answered.ok()) {
        entry.set_reply_to_id(answered->id());
      } else {
        entry.set_reply_to_missing(true);
      }
    }
  }
  entry.set_sent_at_unix_ms(deliver.sent_at_unix_ms());
  entry.set_received_at_unix_ms(clock_.NowUnixMs());
  AppendEntry(entry);
  counters_.set_in_stored(deliver.seq());

  control::Event event;
  event.set_at_unix_ms(entry.received_at_unix_ms());
  *event.mutable_message_received()->mutable_message() = MessageView(entry, false);
  pending_events_.push_back(std::move(event));
  AckWhenSynced();
}

void Conversation::SendAckNow() {
  peer::PeerMessage message;
  message.mutable_ack()->set_up_to_seq(durable_.in_stored());
  channel_.SendToPartner(message);
  acked_in_stored_ = durable_.in_stored();
}

void Conversation::AckWhenSynced() {
  // Every batch holding a new message gets this callback; the Ack is cumulative, so
  // the first callback after a batch sends one and the others find nothing new.
  commit_.AfterSync([this](const Status& status) {
    if (status.ok() && durable_.in_stored() > acked_in_stored_) SendAckNow();
  });
}

Result<records::OutgoingIndex> Conversation::Outgoing(uint64_t seq) const {
  auto value = store_.Get(OutgoingKey(seq));
  if (!value.ok()) return value.status();
  records::OutgoingIndex index;
  if (!index.ParseFromString(*value)) return Corruption("an outgoing index does not parse");
  return index;
}

Result<peer::Deliver> Conversation::OutgoingItem(uint64_t seq) const {
  peer::Deliver item;
  item.set_seq(seq);
  auto index = Outgoing(seq);
  if (!index.ok()) {
    // Only items the partner had acknowledged are ever dropped from the outbox: a
    // partner that rolled back gets their place kept.
    if (index.status().code() != Code::kNotFound || seq > durable_.out_acked()) {
      return index.status();
    }
    item.mutable_unavailable()->set_what("an item (a key, a reaction or a reply)");
    return item;
  }
  if (!index->item().empty() || !index->apart_id().empty()) {
    auto stored = StoredItem(*index);
    if (!stored.ok()) {
      if (stored.status().code() != Code::kNotFound) return stored.status();
      // Restored from a backup, which never holds such an item: it keeps its place.
      auto entry = Entry(index->history_id());
      item.mutable_unavailable()->set_what(entry.ok() ? NotPlainText(*entry) : "an item");
      return item;
    }
    item = std::move(*stored);
    item.set_seq(seq);
    // Items queued before numbers existed take their entry's (the migration's).
    if (item.number() == 0 && index->history_id() != 0)
      item.set_number(NumberOf(index->history_id()));
    return item;
  }
  auto entry = Entry(index->history_id());
  if (!entry.ok()) return entry.status();
  if (std::string what = NotPlainText(*entry); !what.empty()) {
    // An acknowledged envelope or file, re-sent to a partner that rolled back: its
    // item is gone, and its body must never travel as a plain text.
    item.set_sent_at_unix_ms(entry->sent_at_unix_ms());
    item.set_number(entry->number());
    item.mutable_unavailable()->set_what(what);
    return item;
  }
  item = TextItem(*entry);
  item.set_seq(seq);
  return item;
}

Result<peer::Deliver> Conversation::StoredItem(const records::OutgoingIndex& index) const {
  std::string bytes;
  if (!index.apart_id().empty()) {
    auto apart = store_.Get(ApartItemKey(index.apart_id()));
    if (!apart.ok()) return apart.status();
    bytes = std::move(*apart);
  }
  peer::Deliver item;
  if (!item.ParseFromString(index.apart_id().empty() ? index.item() : bytes)) {
    return Corruption("an outgoing item does not parse");
  }
  return item;
}

void Conversation::RestoreItem(records::OutgoingIndex& index, const peer::Deliver& item) {
  peer::Deliver stored = item;
  stored.clear_seq();
  std::string buf;
  if (index.apart_id().empty()) {
    index.set_item(stored.SerializeAsString());
  } else {
    commit_.batch().Put(ApartItemKey(index.apart_id()), Serialized(stored, buf));
  }
}

void Conversation::OnAck(uint64_t up_to_seq) {
  // Only durable messages were ever sent, so an ack beyond them is a confused (or
  // hostile) partner: ignored past what we sent, and said once a session.
  if (up_to_seq > durable_.next_out_seq() - 1 && !told_confused_ack_) {
    told_confused_ack_ = true;
    log_.Warning("the partner acknowledged our messages up to seq " + std::to_string(up_to_seq) +
                 ", past the " + std::to_string(durable_.next_out_seq() - 1) +
                 " we sent; ignoring the rest");
  }
  up_to_seq = std::min(up_to_seq, durable_.next_out_seq() - 1);
  if (up_to_seq <= counters_.out_acked()) return;
  for (uint64_t seq = counters_.out_acked() + 1; seq <= up_to_seq; ++seq) {
    Result<records::HistoryEntry> entry = NotFound("no entry");
    if (auto cached = awaiting_ack_.find(seq); cached != awaiting_ack_.end()) {
      entry = std::move(cached->second);
      awaiting_ack_.erase(cached);
    } else if (auto index = Outgoing(seq); !index.ok()) {
      entry = index.status();
    } else {
      if (!index->item().empty() || !index->apart_id().empty()) {
        // The partner holds the item now; keep only what read receipts need. A
        // released key is no longer kept here.
        if (!index->apart_id().empty()) commit_.batch().Delete(ApartItemKey(index->apart_id()));
        if (index->history_id() == 0) {
          commit_.batch().Delete(OutgoingKey(seq));
        } else {
          index->clear_item();
          index->clear_apart_id();
          std::string buf;
          commit_.batch().Put(OutgoingKey(seq), Serialized(*index, buf));
        }
      }
      if (index->history_id() == 0) continue;
      entry = Entry(index->history_id());
    }
    if (!entry.ok()) {
      log_.Error("acknowledged item seq " + std::to_string(seq) +
                 " is unreadable: " + entry.status().ToString());
      continue;
    }
    if (entry->state() == records::HistoryEntry::PENDING) {
      entry->set_state(records::HistoryEntry::DELIVERED);
      PutEntry(*entry);
    }
    control::Event event;
    event.set_at_unix_ms(clock_.NowUnixMs());
    event.mutable_delivered()->set_id(entry->id());
    pending_events_.push_back(std::move(event));
  }
  counters_.set_out_acked(up_to_seq);
  // Delivery marks need no fsync: lost in a crash, they come back with the re-sent
  // messages' acks.
  commit_.AfterWrite([](const Status&) {});
}

void Conversation::OnReadReceipt(uint64_t up_to_seq) {
  up_to_seq = std::min(up_to_seq, counters_.out_acked());
  if (up_to_seq <= counters_.out_read()) return;
  uint64_t last_id = 0;
  for (uint64_t seq = counters_.out_read() + 1; seq <= up_to_seq; ++seq) {
    auto index = Outgoing(seq);
    if (!index.ok() || index->history_id() == 0) continue;
    auto entry = Entry(index->history_id());
    if (!entry.ok()) continue;
    entry->set_state(records::HistoryEntry::READ);
    PutEntry(*entry);
    last_id = entry->id();
  }
  counters_.set_out_read(up_to_seq);
  if (last_id != 0) {
    control::Event event;
    event.set_at_unix_ms(clock_.NowUnixMs());
    event.mutable_read()->set_up_to_id(last_id);
    pending_events_.push_back(std::move(event));
  }
  commit_.AfterWrite([](const Status&) {});  // Re-sent by the partner after a crash.
}

}  // namespace inmost::core
