// The conversation's history (conversation.h): entries appended and rewritten in
// the batch being filled, read back with the latest write first, named to the
// partner, and erased. Only ids and seqs go into keys, never content.
#include <ctime>

#include "daemon/core/conversation.h"
#include "daemon/core/history_index.h"
#include "daemon/core/history_keys.h"
#include "daemon/core/message_view.h"
#include "daemon/crypto/bytes.h"
#include "daemon/store/record_key.h"

namespace inmost::core {
namespace {

constexpr std::string_view kDayPrefix = "d/";  // + YYYYMMDD (4 bytes): first id that day.

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

Status ValidateText(std::string_view text, std::string_view what, size_t max_bytes) {
  if (text.empty()) return InvalidArgument(std::string(what) + " is empty");
  if (text.size() > max_bytes) {
    return InvalidArgument(std::string(what) + " is too long: at most " +
                           std::to_string(max_bytes) + " bytes");
  }
  if (!IsValidUtf8(text)) return InvalidArgument(std::string(what) + " is not valid UTF-8");
  return Status::Ok();
}

void Conversation::AppendEntry(records::HistoryEntry& entry) {
  // Every message keeps the disappearing setting its sender had: ours now, or the
  // one the partner's item being stored carries. Lines of our own, questions (both
  // sides' answers hang on them) and view-once messages (gone once viewed) stay.
  const bool incoming = entry.direction() == records::HistoryEntry::INCOMING;
  if (entry.notice().empty() && !entry.moment() && !entry.has_question() &&
      !entry.has_view_once() && entry.disappear_after_ms() == 0) {
    if (!incoming) entry.set_disappear_after_ms(disappear_after_ms_);
    if (incoming && entry.seq() != 0 && entry.seq() == delivering_seq_)
      entry.set_disappear_after_ms(delivering_disappear_after_ms_);
  }
  entry.set_id(counters_.next_history_id());
  counters_.set_next_history_id(entry.id() + 1);
  NumberNewEntry(entry);
  StoreEntry(entry, /*is_new=*/true);
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

void Conversation::PutEntry(const records::HistoryEntry& entry) {
  StoreEntry(entry, /*is_new=*/false);
}

void Conversation::StoreEntry(records::HistoryEntry entry, bool is_new) {
  if (entry.disappear_after_ms() > 0 && entry.disappears_at_unix_ms() == 0 && HasContent(entry)) {
    StartDisappearing(entry);
  }
  if (index_) TrackIndexedText(entry, is_new);
  // A sent message waiting for its ack is kept as sent, for the ack to mark it
  // delivered: it must hold an edit or a forget made meanwhile, or the ack would
  // write the old text back.
  if (entry.direction() == records::HistoryEntry::OUTGOING) {
    auto sent = awaiting_ack_.find(entry.seq());
    if (sent != awaiting_ack_.end() && sent->second.id() == entry.id()) sent->second = entry;
  }
  std::string buf;
  commit_.batch().Put(HistoryKey(entry.id()), Serialized(entry, buf));
  unwritten_entries_.insert_or_assign(entry.id(), std::move(entry));
}

void Conversation::TrackIndexedText(records::HistoryEntry& entry, bool is_new) {
  const std::string_view text = SearchedText(entry);
  std::string fingerprint = TextFingerprint(text);
  // Most writes change an entry's state, not its text: they cost one hash.
  if (!is_new && entry.indexed_text() == fingerprint) return;
  std::string before;
  if (!is_new) {
    // Its text changed (or it was written before the index): what the index holds is
    // what the entry held, as last written.
    Result<records::HistoryEntry> stored = Entry(entry.id());
    if (stored.ok()) before = SearchedText(*stored);
  }
  index_->TextChanged(entry.id(), std::move(before), std::string(text));
  entry.set_indexed_text(std::move(fingerprint));
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

Result<records::HistoryEntry> Conversation::Entry(uint64_t id) const {
  if (auto it = unwritten_entries_.find(id); it != unwritten_entries_.end()) return it->second;
  if (auto it = writing_entries_.find(id); it != writing_entries_.end()) return it->second;
  auto value = store_.Get(HistoryKey(id));
  if (!value.ok()) {
    if (value.status().code() == Code::kNotFound) {
      return NotFound("history entry " + std::to_string(id) + " is missing");
    }
    return value.status();
  }
  records::HistoryEntry entry;
  if (!entry.ParseFromString(*value)) return Corruption("a history entry does not parse");
  return entry;
}

void Conversation::Erase(records::HistoryEntry& entry, records::HistoryEntry::ForgetState state,
                         bool compact) {
  if (erasing_) erasing_(entry);
  records::HistoryEntry kept;
  kept.set_id(entry.id());
  kept.set_number(entry.number());
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
    Status compacted = store_.CompactKey(key);
    if (!compacted.ok())
      log_.Warning("could not compact a forgotten message: " + compacted.ToString());
  });
}

Status Conversation::CompactHistory() {
  return store_.CompactPrefix(kHistoryPrefix);
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
    return FailedPrecondition("message #" + std::to_string(entry.number()) +
                              " was with a former partner");
  }
  if (entry.seq() == 0 || entry.moment()) {
    return FailedPrecondition("message #" + std::to_string(entry.number()) +
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
    // The partner wrote it: our incoming index. A message stored in the batch being
    // filled or written (the item naming it came right behind it) has its index
    // there, not on disk yet.
    for (const auto* unwritten : {&unwritten_entries_, &writing_entries_}) {
      for (const auto& [id, entry] : *unwritten) {
        if (entry.direction() == records::HistoryEntry::INCOMING && entry.seq() == ref.seq() &&
            id >= partner_first_history_id()) {
          return entry;
        }
      }
    }
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

}  // namespace inmost::core
