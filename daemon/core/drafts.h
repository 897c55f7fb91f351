// Drafts: the text this person is writing and has not sent, kept sealed in the store
// under "draft" so that a text started in one client can be finished in another.
// It never leaves this daemon: nothing of a draft is ever sent to the partner.
#pragma once

#include "daemon/core/clock.h"
#include "daemon/core/conversation.h"
#include "daemon/core/event_hub.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/router.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

class Drafts {
 public:
  // All references must outlive this object.
  Drafts(store::SealedStore& store, GroupCommit& commit, Conversation& conversation,
         EventHub& events, const Clock& clock, log::Logger& log);

  // Registers with `router` the request drafts own.
  void Register(Router& router);

  // Reads the draft kept (none is an empty one).
  Status Load();
  // Shows the draft, or with `set` replaces it (an empty text clears it): added to
  // the batch being filled, which the caller syncs before it replies. Subscribers
  // hear of a change once it is on disk.
  Result<control::DraftReply> Answer(const control::DraftRequest& request);
  // A new partner, or the history forgotten: a text begun for the conversation that
  // was is dropped (in the batch being filled, announced once on disk).
  void StartWithNewPartner();

  const records::Draft& draft() const { return draft_; }

 private:
  // Puts `text` (empty: none) as the draft into the batch being filled.
  void Replace(const std::string& text);

  store::SealedStore& store_;
  GroupCommit& commit_;
  EventHub& events_;
  const Clock& clock_;
  log::Logger& log_;
  records::Draft draft_;
};

}  // namespace inmost::core
