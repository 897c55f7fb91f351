// The composer: owns the Send request and decides what a message goes out as: a
// plain text (the conversation), a file (file transfers), an envelope (sealed,
// gentle, together, scheduled or with a note) or a view-once message. It decides only; it never
// writes anything itself.
#pragma once

#include "daemon/core/conversation.h"
#include "daemon/core/envelopes/envelopes.h"
#include "daemon/core/files/file_transfers.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/router.h"
#include "daemon/core/view_once.h"

namespace inmost::core {

class Composer {
 public:
  // All references must outlive the composer.
  Composer(GroupCommit& commit, Conversation& conversation, FileTransfers& files,
           Envelopes& envelopes, ViewOnceMessages& view_once)
      : commit_(commit),
        conversation_(conversation),
        files_(files),
        envelopes_(envelopes),
        view_once_(view_once) {}

  // Registers the Send request with `router`.
  void Register(Router& router);

  // Sends what `request` composes; resumes once it is on disk.
  boost::asio::awaitable<Result<control::SendReply>> Send(const control::SendRequest& request);

 private:
  GroupCommit& commit_;
  Conversation& conversation_;
  FileTransfers& files_;
  Envelopes& envelopes_;
  ViewOnceMessages& view_once_;
};

}  // namespace inmost::core
