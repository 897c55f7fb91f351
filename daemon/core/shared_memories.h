// What the two of you keep, or let go of, together: reactions on messages, pinned
// messages (shared memories), recall of this day in earlier years, and forgetting
// a message on both sides. Every change travels to the partner in the
// conversation's ordered stream, naming the message as both daemons know it.
// Forgetting deletes for good (the store is compacted), never just hides.
#pragma once

#include <boost/asio/io_context.hpp>

#include "daemon/core/boundaries.h"
#include "daemon/core/clock.h"
#include "daemon/core/conversation.h"
#include "daemon/core/group_commit.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

// The longest reaction: an emoji, or a few of them joined.
inline constexpr size_t kMaxReactionBytes = 32;

class SharedMemories {
 public:
  // All references must outlive this object; the partner's reactions, pins and
  // forget requests reach it through the router (Register).
  SharedMemories(boost::asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
                 Conversation& conversation, const Boundaries& boundaries, const Clock& clock,
                 log::Logger& log);

  // ---- requests: each adds its writes to the batch being filled; the caller
  // must sync before it replies. An error means nothing was written. ----
  Result<control::ReactReply> React(const control::ReactRequest& request);
  Result<control::PinReply> Pin(const control::PinRequest& request);
  Result<control::MemoriesReply> Memories() const;
  Result<control::RecallReply> Recall(const control::RecallRequest& request) const;
  Result<control::ForgetReply> Forget(const control::ForgetRequest& request);

  // ---- the whole history (`forget --all`, `unpair --forget-history`) ----
  // Deletes every history entry here for good, writing and syncing as it goes
  // (so it must not run inside another batch's callbacks). Envelopes still sealed
  // and scheduled messages are left to the envelope logic. Returns how many were
  // deleted.
  // `from_id` is the first entry to forget (1: all of it).
  Result<uint64_t> ForgetEverything(uint64_t from_id = 1);
  // Puts a request to forget the whole history in the stream to the partner.
  void AskToForgetEverything();
  // `forget --all`: forgets the whole history here, first asking the partner's
  // daemon to do the same when `link_up` (waiting a little for it to store the
  // request, so it reaches the partner before we stop talking).
  boost::asio::awaitable<Result<control::ForgetReply>> ForgetAll(bool link_up);
  // Registers with `router` the items and requests shared memories own; `link_up`
  // says whether the partner can be asked to forget too.
  void Register(Router& router, std::function<bool()> link_up);
  // When the partner asked to forget everything and we have not (0: never).
  int64_t partner_asked_to_forget_all() const { return forget_all_asked_; }
  Status Load();

 private:
  void OnItem(const peer::Deliver& item);
  void OnReaction(const peer::Reaction& reaction);
  void OnPin(const peer::Pin& pin);
  void OnForget(const peer::Forget& forget);
  void OnForgetAll();
  void OnForgetAnswer(const peer::ForgetAnswer& answer);

  // The entry `id`, which must be something both sides hold.
  Result<records::HistoryEntry> SharedEntry(uint64_t id) const;
  void SetPinned(records::HistoryEntry& entry, bool pinned);
  void Erase(records::HistoryEntry& entry, records::HistoryEntry::ForgetState state,
             bool compact = true);
  void PublishChanged(const records::HistoryEntry& entry);

  boost::asio::io_context& io_;
  store::SealedStore& store_;
  GroupCommit& commit_;
  Conversation& conversation_;
  const Boundaries& boundaries_;
  const Clock& clock_;
  log::Logger& log_;
  int64_t forget_all_asked_ = 0;
};

}  // namespace inmost::core
