// View-once messages: a text or a file its recipient can open once. A text's body
// travels sealed under a key of its own, sent with it; a file's as any file does
// (files/). The recipient keeps them until the view, then destroys them, and tells
// the sender, which destroys what it still holds. The body is never in the history,
// an event, an export or a backup (its keys are where backups never look); only in
// ViewReply.
#pragma once

#include <string>

#include "daemon/core/clock.h"
#include "daemon/core/conversation.h"
#include "daemon/core/files/file_transfers.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/router.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"

namespace inmost::core {

class ViewOnceMessages {
 public:
  // All references must outlive this object.
  ViewOnceMessages(store::SealedStore& store, GroupCommit& commit, Conversation& conversation,
                   FileTransfers& files, const Clock& clock, log::Logger& log)
      : store_(store),
        commit_(commit),
        conversation_(conversation),
        files_(files),
        clock_(clock),
        log_(log) {}

  // Registers the view request and the partner's view-once items with `router`.
  void Register(Router& router);

  // ---- each adds its writes to the batch being filled; the caller syncs before it
  // replies. An error means nothing was written. ----
  // Sends `text` to be viewed once (the composer's choice; `reply_to_id` as a text's).
  Result<control::SendReply> Send(const std::string& text, uint64_t reply_to_id);
  // Opens the partner's view-once message and destroys it here; a file's, piece by
  // piece, destroyed with the piece that reaches its end.
  Result<control::ViewReply> View(const control::ViewRequest& request);

 private:
  void OnViewOnce(const peer::Deliver& item);
  void OnViewed(const peer::Deliver& item);
  // One piece of the view-once file `entry`; the last ends the view.
  Result<control::ViewReply> ViewFile(records::HistoryEntry& entry,
                                      const control::ViewRequest& request);
  // Ends the view of `entry` here, and tells the partner.
  void EndView(records::HistoryEntry& entry);
  // Marks `entry` viewed and removes its key and ciphertext (or file) here,
  // compacting their keys once that is on disk (and our outbox copy's, `seq` of
  // ours, if any).
  void Destroy(records::HistoryEntry& entry, uint64_t outbox_seq);

  store::SealedStore& store_;
  GroupCommit& commit_;
  Conversation& conversation_;
  FileTransfers& files_;
  const Clock& clock_;
  log::Logger& log_;
};

}  // namespace inmost::core
