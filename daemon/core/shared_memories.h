// What the two of you keep, or let go of, together: reactions on messages, pinned
// messages (shared memories), recall of this day in earlier years, and forgetting
// a message on both sides. Every change travels to the partner in the
// conversation's ordered stream, naming the message as both daemons know it.
// Forgetting deletes for good (the store is compacted), never just hides.
#pragma once

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
  // All references must outlive this object. It registers itself with
  // `conversation` for the partner's reactions, pins and forget requests.
  SharedMemories(store::SealedStore& store, GroupCommit& commit, Conversation& conversation,
                 const Boundaries& boundaries, const Clock& clock, log::Logger& log);

  // ---- requests: each adds its writes to the batch being filled; the caller
  // must sync before it replies. An error means nothing was written. ----
  Result<control::ReactReply> React(const control::ReactRequest& request);
  Result<control::PinReply> Pin(const control::PinRequest& request);
  Result<control::MemoriesReply> Memories() const;
  Result<control::RecallReply> Recall(const control::RecallRequest& request) const;
  Result<control::ForgetReply> Forget(const control::ForgetRequest& request);

 private:
  void OnItem(const peer::Deliver& item);
  void OnReaction(const peer::Reaction& reaction);
  void OnPin(const peer::Pin& pin);
  void OnForget(const peer::Forget& forget);
  void OnForgetAnswer(const peer::ForgetAnswer& answer);

  // The entry `id`, which must be something both sides hold.
  Result<records::HistoryEntry> SharedEntry(uint64_t id) const;
  void SetPinned(records::HistoryEntry& entry, bool pinned);
  void Erase(records::HistoryEntry& entry, records::HistoryEntry::ForgetState state);
  void PublishChanged(const records::HistoryEntry& entry);

  store::SealedStore& store_;
  GroupCommit& commit_;
  Conversation& conversation_;
  const Boundaries& boundaries_;
  const Clock& clock_;
  log::Logger& log_;
};

}  // namespace inmost::core
