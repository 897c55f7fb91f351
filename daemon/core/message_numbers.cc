// Message numbers (conversation.h): each entry's number, the same on both sides,
// given as the entry is written and indexed under "n/", and looked up both ways.
#include "daemon/core/conversation.h"
#include "daemon/core/history_keys.h"
#include "daemon/crypto/bytes.h"

namespace inmost::core {

void Conversation::NumberNewEntry(records::HistoryEntry& entry) {
  if (entry.number() == 0) {
    const bool carried = entry.direction() == records::HistoryEntry::INCOMING && entry.seq() != 0 &&
                         entry.seq() == delivering_seq_ && delivering_number_ != 0;
    if (carried) {
      entry.set_number(std::exchange(delivering_number_, 0));
    } else {
      entry.set_number(store::NextNumber(counters_.last_number(), side_));
    }
  }
  counters_.set_last_number(std::max(counters_.last_number(), entry.number()));
  records::EntryIndex index;
  index.set_history_id(entry.id());
  // A number met again (the entry of a former partnership that a new partner's
  // first messages overlap) now names the newer entry.
  commit_.batch().Put(NumberKey(entry.number()), crypto::AsBytes(index.SerializeAsString()));
}

Result<uint64_t> Conversation::IdOfNumber(uint64_t number) const {
  // Entries of the batch being filled or written have their index there, not on disk.
  for (const auto* unwritten : {&unwritten_entries_, &writing_entries_}) {
    for (const auto& [id, entry] : *unwritten) {
      if (entry.number() == number) return id;
    }
  }
  auto value = store_.Get(NumberKey(number));
  if (!value.ok()) {
    if (value.status().code() == Code::kNotFound) {
      return NotFound("there is no message #" + std::to_string(number));
    }
    return value.status();
  }
  records::EntryIndex index;
  if (!index.ParseFromString(*value)) return Corruption("a message number index does not parse");
  return index.history_id();
}

uint64_t Conversation::NumberOf(uint64_t id) const {
  auto entry = Entry(id);
  return entry.ok() ? entry->number() : 0;
}

std::string Conversation::Describe(uint64_t id) const {
  return "#" + std::to_string(NumberOf(id));
}

}  // namespace inmost::core
