#include "daemon/core/conversation.h"

#include <algorithm>
#include <ctime>

#include "daemon/core/history_keys.h"
#include "daemon/core/message_view.h"
#include "daemon/core/stream_copy.h"
#include "daemon/crypto/bytes.h"
#include "daemon/store/record_key.h"

namespace inmost::core {
namespace {

constexpr std::string_view kDayPrefix = "d/";  // + YYYYMMDD (4 bytes): first id that day.
constexpr uint32_t kDefaultHistoryLimit = 50;
constexpr uint32_t kMaxHistoryLimit = 1000;
// A history page stops growing past this many bytes of text (`more` says there is
// more), so one reply never holds a whole history of long messages in memory.
constexpr size_t kMaxHistoryReplyBytes = size_t{256} << 10;
// Sent messages kept in memory until acknowledged, so an ack costs no store reads;
// beyond this (a long outage) acks read the store instead.
constexpr size_t kMaxAwaitingAckCached = 8192;

std::string DayKey(uint32_t day) {
  std::string key(kDayPrefix);
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>(day >> shift));
  return key;
}

// The local calendar day of `unix_ms` as YYYYMMDD (0 if the time is unrepresentable).
uint32_t LocalDay(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return 0;
  return static_cast<uint32_t>((local.tm_year + 1900) * 10000 + (local.tm_mon + 1) * 100 +
                               local.tm_mday);
}

std::span<const uint8_t> Serialized(const google::protobuf::MessageLite& m, std::string& buf) {
  m.SerializeToString(&buf);
  return crypto::AsBytes(buf);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

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

uint64_t Conversation::unacknowledged() const {
  return durable_.next_out_seq() - 1 - durable_.out_acked();
}

void Conversation::PutEntry(const records::HistoryEntry& entry) {
  std::string buf;
  commit_.batch().Put(HistoryKey(entry.id()), Serialized(entry, buf));
  unwritten_entries_.insert_or_assign(entry.id(), entry);
}

void Conversation::AfterFlush(const Status& status) {
  writing_entries_.clear();
  if (!status.ok()) {
    log_.Error("store write failed: " + status.ToString());
    flushing_events_.clear();
    // Counters may have run ahead of the disk, and the batch being filled builds on
    // them: drop it, and re-read the truth from the disk (now, or before the next
    // write if the store cannot be read yet).
    commit_.DiscardPending(status);
    stale_ = true;
    Status reload = Reload();
    if (!reload.ok()) log_.Warning("store not readable yet: " + reload.ToString());
    return;
  }
  durable_ = submitted_;
  SendDurable();
  std::vector<control::Event> events;
  events.swap(flushing_events_);
  for (const auto& e : events) events_.Publish(e);
}

Status ValidateText(std::string_view text, std::string_view what, size_t max_bytes) {
  if (text.empty()) return InvalidArgument(std::string(what) + " is empty");
  if (text.size() > max_bytes) {
    return InvalidArgument(std::string(what) + " is too long: at most " +
                           std::to_string(max_bytes) + " bytes");
  }
  if (!IsValidUtf8(text)) return InvalidArgument(std::string(what) + " is not valid UTF-8");
  return Status::Ok();
}

boost::asio::awaitable<Result<control::SendReply>> Conversation::Send(std::string text,
                                                                      bool urgent) {
  if (Status valid = ValidateText(text, "the message"); !valid.ok()) co_return valid;
  records::HistoryEntry entry;
  entry.set_direction(records::HistoryEntry::OUTGOING);
  entry.set_urgent(urgent);
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

void Conversation::AppendEntry(records::HistoryEntry& entry) {
  entry.set_id(counters_.next_history_id());
  counters_.set_next_history_id(entry.id() + 1);
  PutEntry(entry);
  IndexNewEntry(entry);
  if (entry.direction() == records::HistoryEntry::INCOMING) {
    counters_.set_in_unread_items(counters_.in_unread_items() + 1);
    counters_.set_in_unread_bytes(counters_.in_unread_bytes() + entry.ByteSizeLong());
  }
}

void Conversation::AppendNotice(records::HistoryEntry::Direction direction, std::string notice) {
  records::HistoryEntry entry;
  entry.set_direction(direction);
  entry.set_state(records::HistoryEntry::DELIVERED);
  entry.set_sent_at_unix_ms(clock_.NowUnixMs());
  if (direction == records::HistoryEntry::INCOMING) {
    entry.set_received_at_unix_ms(entry.sent_at_unix_ms());
  }
  entry.set_notice(std::move(notice));
  AppendEntry(entry);
  control::Event event;
  event.set_at_unix_ms(entry.sent_at_unix_ms());
  *event.mutable_message_received()->mutable_message() = MessageView(entry, false);
  pending_events_.push_back(std::move(event));
}

void Conversation::IndexNewEntry(const records::HistoryEntry& entry) {
  records::EntryIndex index;
  index.set_history_id(entry.id());
  std::string buf;
  if (entry.direction() == records::HistoryEntry::INCOMING && entry.seq() != 0) {
    commit_.batch().Put(IncomingKey(entry.seq()), Serialized(index, buf));
  }
  // Days only move forward here: after a clock that jumped back, entries join the
  // newest day already indexed.
  uint32_t day = LocalDay(clock_.NowUnixMs());
  if (day > counters_.last_indexed_day()) {
    commit_.batch().Put(DayKey(day), Serialized(index, buf));
    counters_.set_last_indexed_day(day);
  }
}

Status Conversation::CompactHistory() {
  return store_.CompactRange(kHistoryPrefix, *store::PrefixSuccessor(kHistoryPrefix));
}

Result<std::map<uint32_t, uint64_t>> Conversation::DayIndex() const {
  std::map<uint32_t, uint64_t> days;
  Status parse_error;
  INMOST_RETURN_IF_ERROR(store_.ForEach(kDayPrefix, [&](std::string_view key, std::string_view v) {
    records::EntryIndex index;
    std::string_view day_bytes = key.substr(kDayPrefix.size());
    if (day_bytes.size() != 4 || !index.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      parse_error = Corruption("a day index record does not parse");
      return false;
    }
    uint32_t day = 0;
    for (char c : day_bytes) day = (day << 8) | static_cast<unsigned char>(c);
    days.emplace(day, index.history_id());
    return true;
  }));
  if (!parse_error.ok()) return parse_error;
  return days;
}

Result<peer::MessageRef> Conversation::RefFor(const records::HistoryEntry& entry) const {
  if (entry.id() < counters_.partner_first_history_id()) {
    return FailedPrecondition("message #" + std::to_string(entry.id()) +
                              " was with a former partner");
  }
  if (entry.seq() == 0 || entry.moment()) {
    return FailedPrecondition("message #" + std::to_string(entry.id()) +
                              " never went to your partner");
  }
  peer::MessageRef ref;
  // As the partner will read it: "by_sender" is us when we wrote it.
  ref.set_by_sender(entry.direction() == records::HistoryEntry::OUTGOING);
  ref.set_seq(entry.seq());
  return ref;
}

Result<records::HistoryEntry> Conversation::Resolve(const peer::MessageRef& ref) const {
  uint64_t history_id = 0;
  if (ref.by_sender()) {
    // The partner wrote it: our incoming index.
    auto value = store_.Get(IncomingKey(ref.seq()));
    if (!value.ok()) return value.status();
    records::EntryIndex index;
    if (!index.ParseFromString(*value)) return Corruption("an incoming index does not parse");
    history_id = index.history_id();
  } else {
    auto index = Outgoing(ref.seq());
    if (!index.ok()) return index.status();
    history_id = index->history_id();
  }
  if (history_id == 0) return NotFound("the partner names an item that is not a message");
  return Entry(history_id);
}

void Conversation::Erase(records::HistoryEntry& entry, records::HistoryEntry::ForgetState state,
                         bool compact) {
  if (erasing_) erasing_(entry);
  records::HistoryEntry kept;
  kept.set_id(entry.id());
  kept.set_direction(entry.direction());
  kept.set_state(entry.state());
  kept.set_seq(entry.seq());
  kept.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  kept.set_received_at_unix_ms(entry.received_at_unix_ms());
  kept.set_forget(state);
  entry = std::move(kept);
  PutEntry(entry);
  if (!compact) return;
  // LevelDB keeps overwritten values in older files until they are compacted.
  std::string key = HistoryKey(entry.id());
  commit_.AfterSync([this, key](const Status& status) {
    if (!status.ok()) return;
    Status compacted = store_.CompactRange(key, key + '\0');
    if (!compacted.ok())
      log_.Warning("could not compact a forgotten message: " + compacted.ToString());
  });
}

Result<records::HistoryEntry> Conversation::Entry(uint64_t id) const {
  if (auto it = unwritten_entries_.find(id); it != unwritten_entries_.end()) return it->second;
  if (auto it = writing_entries_.find(id); it != writing_entries_.end()) return it->second;
  auto value = store_.Get(HistoryKey(id));
  if (!value.ok()) {
    if (value.status().code() == Code::kNotFound) {
      return NotFound("there is no message #" + std::to_string(id));
    }
    return value.status();
  }
  records::HistoryEntry entry;
  if (!entry.ParseFromString(*value)) return Corruption("a history entry does not parse");
  return entry;
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
  peer::Deliver deliver;
  deliver.set_seq(entry.seq());
  deliver.set_text(entry.text());
  deliver.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  deliver.set_urgent(entry.urgent());
  unsent_.push_back(std::move(deliver));
}

uint64_t Conversation::EnqueueItem(peer::Deliver item, uint64_t history_id) {
  item.set_seq(NextOutSeq());
  if (item.sent_at_unix_ms() == 0) item.set_sent_at_unix_ms(clock_.NowUnixMs());
  records::OutgoingIndex index;
  index.set_history_id(history_id);
  peer::Deliver stored = item;
  stored.clear_seq();
  index.set_item(stored.SerializeAsString());
  std::string buf;
  commit_.batch().Put(OutgoingKey(item.seq()), Serialized(index, buf));
  // Not cached for acks: the entry may change before then, and items are few.
  uint64_t seq = item.seq();
  unsent_.push_back(std::move(item));
  return seq;
}

void Conversation::PublishWhenWritten(control::Event event) {
  pending_events_.push_back(std::move(event));
}

Result<control::HistoryReply> Conversation::History(uint32_t limit, uint64_t before_id,
                                                    bool partner_present) const {
  if (limit == 0) limit = kDefaultHistoryLimit;
  limit = std::min(limit, kMaxHistoryLimit);
  control::HistoryReply reply;
  size_t text_bytes = 0;
  Status parse_error;
  Status status = store_.ForEachReverse(kHistoryPrefix, [&](std::string_view, std::string_view v) {
    records::HistoryEntry entry;
    if (!entry.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      parse_error = Corruption("a history entry does not parse");
      return false;
    }
    if (before_id != 0 && entry.id() >= before_id) return true;
    if (static_cast<uint32_t>(reply.messages_size()) == limit ||
        text_bytes > kMaxHistoryReplyBytes) {
      reply.set_more(true);
      return false;
    }
    text_bytes += entry.text().size();
    *reply.add_messages() = MessageView(entry, partner_present);
    return true;
  });
  if (!status.ok()) return status;
  if (!parse_error.ok()) return parse_error;
  std::reverse(reply.mutable_messages()->begin(), reply.mutable_messages()->end());
  return reply;
}

boost::asio::awaitable<Result<control::MarkReadReply>> Conversation::MarkRead(uint64_t up_to_id) {
  uint64_t last_id = counters_.next_history_id() - 1;
  if (up_to_id == 0 || up_to_id > last_id) up_to_id = last_id;
  control::MarkReadReply reply;
  uint64_t read_seq = counters_.in_read();
  for (uint64_t id = counters_.in_read_history_id() + 1; id <= up_to_id; ++id) {
    // Entry(), not the store: an envelope opened a moment ago may not be on disk yet.
    auto found = Entry(id);
    if (!found.ok()) {
      if (found.status().code() == Code::kNotFound) continue;  // A send that failed to sync.
      co_return found.status();
    }
    records::HistoryEntry& entry = *found;
    if (entry.direction() != records::HistoryEntry::INCOMING ||
        entry.state() == records::HistoryEntry::READ) {
      continue;
    }
    entry.set_state(records::HistoryEntry::READ);
    read_seq = std::max(read_seq, entry.seq());
    PutEntry(entry);
    CountRead(entry);
    reply.set_marked(reply.marked() + 1);
  }
  counters_.set_in_read_history_id(std::max(counters_.in_read_history_id(), up_to_id));
  counters_.set_in_read(read_seq);
  Status status = co_await commit_.Sync();
  if (!status.ok()) co_return status;
  MaybeLift();  // Reading makes room.
  if (reply.marked() > 0 && send_read_receipts_) {
    peer::PeerMessage message;
    message.mutable_read_receipt()->set_up_to_seq(read_seq);
    channel_.SendToPartner(message);
  }
  co_return reply;
}

Status Conversation::StartWithNewPartner() {
  std::vector<std::string> stale;
  INMOST_RETURN_IF_ERROR(
      store_.ForEach(kOutgoingPrefix, [&](std::string_view key, std::string_view) {
        stale.emplace_back(key);
        return true;
      }));
  // What the former partner never stored will never reach anyone: say so.
  for (uint64_t seq = durable_.out_acked() + 1; seq < durable_.next_out_seq(); ++seq) {
    auto index = Outgoing(seq);
    if (!index.ok() || index->history_id() == 0) continue;
    auto entry = Entry(index->history_id());
    if (!entry.ok()) continue;
    entry->set_state(records::HistoryEntry::NOT_DELIVERED);
    PutEntry(*entry);
  }
  for (const auto& key : stale) commit_.batch().Delete(key);
  awaiting_ack_.clear();
  unsent_.clear();
  uint64_t next_history_id = counters_.next_history_id();
  uint32_t last_indexed_day = counters_.last_indexed_day();
  counters_.Clear();
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

void Conversation::OnLinkUp() {
  out_open_ = false;
  in_open_ = false;
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
      commit_.AfterWrite([this](const Status&) {
        duplicate_ack_due_ = false;
        SendAckNow();
      });
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
  if (!index->item().empty()) {
    if (!item.ParseFromString(index->item())) return Corruption("an outgoing item does not parse");
    item.set_seq(seq);
    return item;
  }
  auto entry = Entry(index->history_id());
  if (!entry.ok()) return entry.status();
  item.set_sent_at_unix_ms(entry->sent_at_unix_ms());
  if (std::string what = NotPlainText(*entry); !what.empty()) {
    // An acknowledged envelope or file, re-sent to a partner that rolled back: its
    // item is gone, and its body must never travel as a plain text.
    item.mutable_unavailable()->set_what(what);
    return item;
  }
  item.set_text(entry->text());
  item.set_urgent(entry->urgent());
  return item;
}

void Conversation::OnAck(uint64_t up_to_seq) {
  // Only durable messages were ever sent, so an ack beyond them is a confused partner.
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
      if (!index->item().empty()) {
        // The partner holds the item now; keep only what read receipts need. A
        // released key is no longer kept here.
        if (index->history_id() == 0) {
          commit_.batch().Delete(OutgoingKey(seq));
        } else {
          index->clear_item();
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
  if (unacknowledged() == 0) {
    for (auto* waiter : std::exchange(ack_waiters_, {})) waiter->cancel();
  }
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
