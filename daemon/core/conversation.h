// The conversation with the partner: history, the durable outbox and exactly-once
// delivery. Everything we send travels as one ordered stream of items (texts,
// envelope offers, key releases, ...): each is synced here before it leaves, the
// partner's items are acknowledged only once synced there, and duplicates are
// dropped by sequence number. It talks to the link only through PartnerChannel and
// hands the partner's non-text items to an ItemHandler (the envelope logic).
#pragma once

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/event_hub.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/incoming_budget.h"
#include "daemon/core/partner_channel.h"
#include "daemon/core/router.h"
#include "daemon/core/stream_lineage.h"
#include "daemon/core/timer.h"
#include "daemon/log/logger.h"
#include "daemon/store/message_number.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

class HistoryIndex;

// The largest text a message may carry: one Noise transport message holds at most
// 65535 bytes, less the tag, an envelope's seal and the peer message's own fields.
inline constexpr size_t kMaxTextBytes = 60000;
// The largest message number taken from the partner. Numbers grow by one a message, so
// no honest pair comes near it, and below it no number given here can overflow.
inline constexpr uint64_t kMaxMessageNumber = uint64_t{1} << 53;

// Ok when `text` may be sent: not empty, at most kMaxTextBytes, valid UTF-8.
// `what` names it in the error ("the message", "the note").
Status ValidateText(std::string_view text, std::string_view what, size_t max_bytes = kMaxTextBytes);

// What a plain text carries besides its words (Conversation::Send).
struct TextOptions {
  bool urgent = false;       // Announced even in the partner's quiet hours.
  uint64_t reply_to_id = 0;  // The history entry it answers (0: none).
};

// Its member functions live in one file per job: conversation.cc (state, what a
// write makes durable, a new partner), history_entries.cc and history_reading.cc
// (the history), stream_delivery.cc (the delivery stream, acks and re-sends),
// stream_resync.cc (comparing streams at link up), stream_refusal.cc (the budget).
class Conversation {
 public:
  // Receives the partner's stream items that are not texts, inside the batch that
  // stores them: what it writes is acknowledged to the partner with them.
  // Each handler sees every such item and acts on the kinds it knows.
  using ItemHandler = std::function<void(const peer::Deliver& item)>;

  // All references must outlive the conversation.
  Conversation(store::SealedStore& store, GroupCommit& commit, EventHub& events,
               PartnerChannel& channel, const Clock& clock, log::Logger& log);

  // Reads the counters from the store; call once before anything else.
  Status Load();
  void AddItemHandler(ItemHandler handler) { item_handlers_.push_back(std::move(handler)); }
  // Called whenever the conversation re-reads its state from disk after a failed
  // write, so what is built on the conversation re-reads its own.
  void AddReloadHook(std::function<void()> hook) { reloaded_.push_back(std::move(hook)); }
  // Called with each entry just before Erase replaces it, so what is kept beside
  // the history for it (a received file) goes too.
  void SetEraseHook(std::function<void(const records::HistoryEntry&)> hook) {
    erasing_ = std::move(hook);
  }
  // Called (from inside a write's completion: post any real work) each time a write
  // leaves nothing of ours unacknowledged.
  void SetAllAcknowledgedHook(std::function<void()> hook) { all_acknowledged_ = std::move(hook); }
  // Ok when the conversation's state matches the disk. After a failed write it
  // re-reads it first; an error (the store still cannot be read) means nothing
  // may be written now.
  Status Ready();

  // Appends `text` to the outbox and history; resumes once it is synced (then it
  // leaves as soon as the link is up). An error means nothing was accepted.
  // A reply must answer an entry both sides hold (FailedPrecondition otherwise).
  boost::asio::awaitable<Result<control::SendReply>> Send(std::string text, TextOptions options);
  // Up to `limit` entries older than `before_id` (0: the newest), oldest first.
  Result<control::HistoryReply> History(uint32_t limit, uint64_t before_id,
                                        bool partner_present) const;
  // Marks incoming messages up to `up_to_id` (0: all) read and tells the partner.
  boost::asio::awaitable<Result<control::MarkReadReply>> MarkRead(uint64_t up_to_id);
  // Outgoing messages the partner has not yet acknowledged.
  uint64_t unacknowledged() const;
  // Resumes once the partner has acknowledged everything sent (true), or after
  // `within` (false): woken by the acknowledgement itself, never by polling.
  boost::asio::awaitable<bool> AllAcknowledged(SteadyDuration within);
  // Registers with `router` the messages, items and requests the conversation owns;
  // `partner_present` says whether the partner is here (for the history's views).
  void Register(Router& router, std::function<bool()> partner_present);
  // The budget that keeps a runaway or hostile partner from filling this disk.
  void SetIncomingLimits(const IncomingLimits& limits) { budget_.SetLimits(limits); }
  // Why this daemon takes no more of the partner's stream for now (empty: it does).
  const std::string& refusing_partner() const { return refusing_; }
  // Why the partner's daemon takes no more of ours for now (empty: it does).
  const std::string& partner_refuses() const { return partner_refuses_; }
  // This daemon's version, told to the partner in each StreamHello.
  void SetDaemonVersion(std::string version) { own_version_ = std::move(version); }
  // The partner's daemon as its last StreamHello described it (nullopt before one,
  // or from an older daemon that tells neither its clock nor its version).
  const std::optional<control::PartnerDaemon>& partner_daemon() const { return partner_daemon_; }
  // The search index to keep in step with the history's texts (null: none). It must
  // outlive the conversation, or be unset first.
  void SetHistoryIndex(HistoryIndex* index) { index_ = index; }
  // Whether MarkRead tells the partner (a boundary each person sets). Off, the
  // partner sees their messages delivered, never read.
  void SetSendReadReceipts(bool send) { send_read_receipts_ = send; }
  // We are ending the pairing: from the batch being filled on (and after a restart),
  // the partner's items are neither stored nor acknowledged, except their own
  // PairingEnded, handed on once. Returns the seq of the last one kept, which our
  // PairingEnded tells them. A failed write undoes it; StartWithNewPartner ends it.
  uint64_t StopTakingItems();

  // ---- for the envelope logic: writes go into the batch being filled
  // (history_entries.cc; the two Enqueue* are stream_delivery.cc) ----
  // Gives `entry` the next history id and adds it to the batch.
  void AppendEntry(records::HistoryEntry& entry);
  // Adds `entry` (an existing id) to the batch.
  void PutEntry(const records::HistoryEntry& entry);
  // The history entry `id`, including writes not yet on disk: NotFound when there
  // is none.
  Result<records::HistoryEntry> Entry(uint64_t id) const;
  // Puts `entry` (a text) in the outgoing stream: gives it a seq, state PENDING.
  void EnqueueText(records::HistoryEntry& entry);
  // Whether a backup may hold an outgoing item until the partner has it.
  enum class InBackups { kYes, kNever };
  // Puts `item` in the outgoing stream; `history_id` is the entry it concerns (0:
  // none), which turns DELIVERED and READ with it. Returns the item's seq. With
  // InBackups::kNever the item is kept where backups never look (a view-once
  // message's key and body); a copy restored from one sends it as unavailable.
  uint64_t EnqueueItem(peer::Deliver item, uint64_t history_id,
                       InBackups in_backups = InBackups::kYes);

  // ---- disappearing messages (disappearing_clock.cc) ----
  // How long what we write from now on stays after it is opened (0: it stays).
  // Each new entry, ours or the partner's, keeps the setting its sender had.
  void SetDisappearAfter(int64_t ms) { disappear_after_ms_ = ms; }
  // Whether the partner sends read receipts: if not, our own copy's clock starts when
  // they have it, as we never learn when they open it.
  void SetPartnerSendsReadReceipts(bool sends) { partner_sends_receipts_ = sends; }
  // Called with each new disappearing time written (an entry just opened), so its
  // owner can wake up by then.
  void SetDisappearingHook(std::function<void(int64_t at_unix_ms)> hook) {
    disappearing_ = std::move(hook);
  }

  // ---- message numbers, the same on both sides (message_numbers.cc) ----
  // Which numbers this daemon gives its entries (from both public keys; odd while
  // unpaired). Call before Load, and again for a new partner.
  void SetNumberingSide(store::NumberingSide side) { side_ = side; }
  // The history id of the entry numbered `number`: NotFound, saying so, when there
  // is none.
  Result<uint64_t> IdOfNumber(uint64_t number) const;
  // The number of history entry `id` (0: there is no such entry).
  uint64_t NumberOf(uint64_t id) const;
  // How logs and errors name history entry `id`: "#<its number>".
  std::string Describe(uint64_t id) const;

  // ---- naming messages to the partner (reactions, pins, forgetting;
  // history_entries.cc) ----
  // How the partner names `entry`: FailedPrecondition for entries that never
  // reached them (not sent yet, local, or with a former partner).
  Result<peer::MessageRef> RefFor(const records::HistoryEntry& entry) const;
  // The entry the partner names with `ref` in an item they sent: NotFound when
  // there is none here.
  Result<records::HistoryEntry> Resolve(const peer::MessageRef& ref) const;
  // Replaces `entry` with a line that keeps only its place (id, direction, times)
  // and `state`, and compacts its key once that is on disk, so no old copy of its
  // content stays in the store's files.
  // With `compact` false, the caller compacts (CompactHistory) after many.
  void Erase(records::HistoryEntry& entry, records::HistoryEntry::ForgetState state,
             bool compact = true);
  // Compacts the whole history's range (after erasing many entries).
  Status CompactHistory();
  // The first history id of each local day (YYYYMMDD) that has entries, by day.
  Result<std::map<uint32_t, uint64_t>> DayIndex() const;
  // The first history entry with the current partner (older ones were with a
  // former partner).
  uint64_t partner_first_history_id() const {
    return std::max<uint64_t>(1, counters_.partner_first_history_id());
  }
  // The newest history id so far (0: none).
  uint64_t last_history_id() const { return counters_.next_history_id() - 1; }
  // Publishes `event` once the batch being filled is written.
  void PublishWhenWritten(control::Event event);
  // Adds a line from inmost itself (not a message) to the history, in the batch
  // being filled; `direction` says whose doing it concerns.
  void AppendNotice(records::HistoryEntry::Direction direction, std::string notice);

  // A new partner: sequence numbers start again at 1 in both directions, and what
  // was never delivered to the previous partner is never sent to the new one.
  // History stays. Synced before it returns. `partner_kept_up_to`: how far the
  // partner, ending the pairing, kept our stream (PairingEnded); up to there our
  // messages are delivered, past it not. Without it, past the last ack.
  Status StartWithNewPartner(std::optional<uint64_t> partner_kept_up_to = std::nullopt);

  // The link came up (or was replaced): both sides first compare their streams
  // (StreamHello, stream_resync.cc); what is not yet acknowledged is re-sent after.
  void OnLinkUp();
  // One message from the partner.
  void OnPeerMessage(const peer::PeerMessage& message);

 private:
  // ---- the delivery stream (stream_delivery.cc) ----
  void OnDeliver(const peer::Deliver& deliver);
  void OnAck(uint64_t up_to_seq);
  void OnReadReceipt(uint64_t up_to_seq);
  // Tells the partner how far its messages are durable here.
  void SendAckNow();
  // Sends an Ack once the batch being filled is synced.
  void AckWhenSynced();
  // Sends the queued items that the last write made durable, in seq order.
  void SendDurable();
  uint64_t NextOutSeq();
  Result<records::OutgoingIndex> Outgoing(uint64_t seq) const;
  // The stream item `seq` as it is (re-)sent.
  Result<peer::Deliver> OutgoingItem(uint64_t seq) const;
  // The item `index` holds, inline or apart (InBackups::kNever): NotFound when it
  // was kept apart and this store no longer has it (restored from a backup).
  Result<peer::Deliver> StoredItem(const records::OutgoingIndex& index) const;
  // Puts `item` back where `index` keeps it (inline or apart), for the batch.
  void RestoreItem(records::OutgoingIndex& index, const peer::Deliver& item);

  // ---- the history (history_entries.cc) ----
  // Adds `entry` to the batch; `is_new` when no version of it was written before.
  void StoreEntry(records::HistoryEntry entry, bool is_new);
  // Tells the search index when the searched text of `entry` (about to be stored)
  // changes, and records in it which text the index holds.
  void TrackIndexedText(records::HistoryEntry& entry, bool is_new);
  // Writes the indexes of a new entry: by the partner's seq, and the day index.
  void IndexNewEntry(const records::HistoryEntry& entry);
  // Gives a new entry its number (message_numbers.cc): the one its partner's item
  // carries, or the next of ours; and indexes it.
  void NumberNewEntry(records::HistoryEntry& entry);
  // The plain text `entry` as the stream item that carries it (without its seq).
  peer::Deliver TextItem(const records::HistoryEntry& entry) const;
  // Starts the disappearing clock of `entry` when it has just been opened
  // (disappearing_clock.cc); it then says when it goes, indexed for Disappearing.
  void StartDisappearing(records::HistoryEntry& entry);

  // ---- state (conversation.cc) ----
  void AfterFlush(const Status& status);
  Status Reload();

  // ---- the incoming budget (stream_refusal.cc) ----
  // True, having told both users once, when `deliver` would pass the budget.
  bool RefuseIfOverBudget(const peer::Deliver& deliver);
  // Takes the partner's stream again once there is room.
  void MaybeLift();
  void SendRefusal(bool lifted);
  void OnRefusal(const peer::Refusal& refusal);
  // Counts `entry`, read now, out of the unread budget.
  void CountRead(const records::HistoryEntry& entry);

  // ---- telling copies of a stream apart (stream_resync.cc) ----
  // Sends every item after `out_acked` again (after a link up, or a lifted refusal).
  void ResendUnacked();
  // Re-sends our items after `out_acked` and opens our stream to the partner.
  void OpenOurStream();
  void SendStreamHello();
  void OnStreamHello(const peer::StreamHello& hello);
  void OnStreamOpen(const peer::StreamOpen& open);
  void OnStreamCopies(const peer::StreamCopies& copies);
  // The partner rolled back: it holds our stream only up to `held`.
  void RewindTo(uint64_t held);
  // This store is an older copy: our stream agrees with the partner's record only
  // up to `agreed`, and the partner holds it up to `held`.
  Status ResumeAfter(uint64_t agreed, uint64_t held, const Lineage& held_lineage);
  // Sends copies of the partner's own items in (after, to], which it lost.
  void SendCopies(uint64_t after, uint64_t to);
  // Stores one copy of our own item that the partner sent back.
  void StoreCopy(const peer::StreamCopy& copy);
  // Adds the lineage record to the batch being filled.
  void PutLineage();
  // Opens this run's incarnation of our stream at `seq` unless it is open.
  void OpenEpochAt(uint64_t seq);

  store::SealedStore& store_;
  GroupCommit& commit_;
  EventHub& events_;
  PartnerChannel& channel_;
  const Clock& clock_;
  log::Logger& log_;
  HistoryIndex* index_ = nullptr;
  std::vector<ItemHandler> item_handlers_;
  std::vector<Timer*> ack_waiters_;  // Cancelled when all is acked.
  bool send_read_receipts_ = true;
  std::vector<std::function<void()>> reloaded_;
  std::function<void(const records::HistoryEntry&)> erasing_;
  std::function<void()> all_acknowledged_;
  bool stale_ = false;  // A write failed and the state has not been re-read since.

  // `counters_` includes writes still in the pending batch; `submitted_` what was
  // handed to the writer; `durable_` only what a successful write has stored. Only
  // durable state is ever announced or acknowledged.
  records::ConversationCounters counters_;
  records::ConversationCounters submitted_;
  records::ConversationCounters durable_;
  // Items enqueued but not yet durable (or durable and not yet sent), by seq.
  std::deque<peer::Deliver> unsent_;
  // The entries of our sent items by seq (id 0: none), until the partner
  // acknowledges them (bounded), so an ack costs no store reads.
  std::unordered_map<uint64_t, records::HistoryEntry> awaiting_ack_;
  uint64_t acked_in_stored_ = 0;  // The last Ack sent said this.
  bool duplicate_ack_due_ = false;
  bool told_confused_ack_ = false;  // This session's ack past our stream was logged.
  bool told_odd_number_ = false;    // This session's item with a number not the partner's.
  bool heard_their_end_ = false;    // Their PairingEnded, while we were ending it too.
  // Entries written in the batch being filled, and in the batch being written (kept
  // once written, until the next batch goes, so the replies and events that follow a
  // write read its entries without the store): what Entry() reads before the store,
  // so every reader sees the latest write.
  std::unordered_map<uint64_t, records::HistoryEntry> unwritten_entries_;
  std::unordered_map<uint64_t, records::HistoryEntry> writing_entries_;
  std::vector<control::Event> pending_events_;   // For the batch being filled.
  std::vector<control::Event> flushing_events_;  // For the batch being written.

  IncomingBudget budget_;
  std::string refusing_;         // Why we refuse the partner's items now; empty: we don't.
  uint64_t refused_bytes_ = 0;   // The size of the item we refused: room means room for it.
  std::string partner_refuses_;  // Why the partner refuses ours now; empty: it doesn't.
  std::string own_version_;
  std::optional<control::PartnerDaemon> partner_daemon_;
  // When each user was last told (a notice in the history): at most once an hour,
  // however often a sustained flood is refused and let in again.
  int64_t told_refusing_at_ms_ = 0;
  int64_t told_refused_at_ms_ = 0;

  store::NumberingSide side_ = store::NumberingSide::kOdd;
  // The number of the partner's item being stored (OnDeliver), for the entry it
  // makes; 0 once taken (an item makes at most one entry with its number).
  uint64_t delivering_seq_ = 0;
  uint64_t delivering_number_ = 0;
  int64_t delivering_disappear_after_ms_ = 0;  // As delivering_number_.

  int64_t disappear_after_ms_ = 0;
  bool partner_sends_receipts_ = true;
  std::function<void(int64_t)> disappearing_;

  records::StreamLineage lineage_;
  std::string run_epoch_;  // The incarnation this run opened; empty until it sends.
  // Per session: we have checked our stream against the partner's hello (and send
  // and take acks), and the partner has opened its stream (we store its items).
  bool out_open_ = false;
  bool in_open_ = false;
};

}  // namespace inmost::core
