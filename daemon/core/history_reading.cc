// Reading the conversation's history (conversation.h): a page of it, newest last,
// and marking the partner's messages read, which tells the partner only when
// this person sends read receipts. A page never holds the whole history.
#include <algorithm>

#include "daemon/core/conversation.h"
#include "daemon/core/history_keys.h"
#include "daemon/core/message_view.h"
#include "daemon/crypto/wipe.h"

namespace inmost::core {
namespace {

constexpr uint32_t kDefaultHistoryLimit = 50;
constexpr uint32_t kMaxHistoryLimit = 1000;
// A history page stops growing past this many bytes of text (`more` says there is
// more), so one reply never holds a whole history of long messages in memory.
constexpr size_t kMaxHistoryReplyBytes = size_t{256} << 10;

}  // namespace

Result<control::HistoryReply> Conversation::History(uint32_t limit, uint64_t before_id,
                                                    bool partner_present) const {
  if (limit == 0) limit = kDefaultHistoryLimit;
  limit = std::min(limit, kMaxHistoryLimit);
  control::HistoryReply reply;
  size_t text_bytes = 0;
  // History ids are dense and never reused: walk them down from the newest, as the
  // store's keys name nothing and cannot be scanned in order.
  uint64_t id = counters_.next_history_id();
  if (before_id != 0) id = std::min(id, before_id);
  while (id > 1) {
    --id;
    Result<std::string> stored = store_.Get(HistoryKey(id));
    if (stored.status().code() == Code::kNotFound) continue;  // A send that failed to sync.
    if (!stored.ok()) return stored.status();
    records::HistoryEntry entry;
    const bool parsed = entry.ParseFromString(*stored);
    crypto::WipeString(*stored);
    if (!parsed) return Corruption("a history entry does not parse");
    if (entry.forget() == records::HistoryEntry::DISAPPEARED) continue;  // Gone for good.
    if (static_cast<uint32_t>(reply.messages_size()) == limit ||
        text_bytes > kMaxHistoryReplyBytes) {
      reply.set_more(true);
      break;
    }
    text_bytes += entry.text().size();
    *reply.add_messages() = MessageView(entry, partner_present);
  }
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

}  // namespace inmost::core
