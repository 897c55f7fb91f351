// The conversation with the partner: history, the durable outbox and exactly-once
// delivery. A message is acknowledged to a client only once synced; the partner's
// messages are acknowledged to it only once synced here; duplicates are dropped by
// sequence number. It talks to the link only through PartnerChannel.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/event_hub.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/partner_channel.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

// The largest text a message may carry: one Noise transport message holds at most
// 65535 bytes, less the tag and the peer message's own fields.
inline constexpr size_t kMaxTextBytes = 60000;

class Conversation {
 public:
  // All references must outlive the conversation.
  Conversation(store::SealedStore& store, GroupCommit& commit, EventHub& events,
               PartnerChannel& channel, const Clock& clock, log::Logger& log);

  // Reads the counters from the store; call once before anything else.
  Status Load();

  // Appends `text` to the outbox and history; resumes once it is synced, then
  // sends it if the link is up. An error means nothing was accepted.
  boost::asio::awaitable<Result<control::SendReply>> Send(std::string text);
  // Up to `limit` entries older than `before_id` (0: the newest), oldest first.
  Result<control::HistoryReply> History(uint32_t limit, uint64_t before_id) const;
  // Marks incoming messages up to `up_to_id` (0: all) read and tells the partner.
  boost::asio::awaitable<Result<control::MarkReadReply>> MarkRead(uint64_t up_to_id);
  // Outgoing messages the partner has not yet acknowledged.
  uint64_t unacknowledged() const;

  // A new partner: sequence numbers start again at 1 in both directions, and what
  // was never delivered to the previous partner is never sent to the new one.
  // History stays. Synced before it returns.
  Status StartWithNewPartner();

  // The link came up (or was replaced): re-send everything not yet acknowledged.
  void OnLinkUp();
  // One message from the partner.
  void OnPeerMessage(const peer::PeerMessage& message);

 private:
  void OnDeliver(const peer::Deliver& deliver);
  void OnAck(uint64_t up_to_seq);
  void OnReadReceipt(uint64_t up_to_seq);
  // Tells the partner how far its messages are durable here.
  void SendAckNow();
  // Sends an Ack once the batch being filled is synced.
  void AckWhenSynced();
  void AfterFlush(const Status& status);
  Result<records::HistoryEntry> OutgoingEntry(uint64_t seq) const;
  void PutEntry(const records::HistoryEntry& entry);
  Status Reload();

  store::SealedStore& store_;
  GroupCommit& commit_;
  EventHub& events_;
  PartnerChannel& channel_;
  const Clock& clock_;
  log::Logger& log_;

  // `counters_` includes writes still in the pending batch; `submitted_` what was
  // handed to the writer; `durable_` only what a successful write has stored. Only
  // durable state is ever announced or acknowledged.
  records::ConversationCounters counters_;
  records::ConversationCounters submitted_;
  records::ConversationCounters durable_;
  // Our sent messages by seq, until the partner acknowledges them (bounded).
  std::unordered_map<uint64_t, records::HistoryEntry> awaiting_ack_;
  uint64_t acked_in_stored_ = 0;  // The last Ack sent said this.
  bool duplicate_ack_due_ = false;
  std::vector<control::Event> pending_events_;   // For the batch being filled.
  std::vector<control::Event> flushing_events_;  // For the batch being written.
};

}  // namespace inmost::core
