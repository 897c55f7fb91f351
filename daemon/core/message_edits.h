// Edits: changing the text of a message you wrote, on both sides, with every earlier
// version kept on both, so nothing said is rewritten silently. Only a message's
// author edits it, and never one the partner has not opened yet.
#pragma once

#include "daemon/core/conversation.h"
#include "daemon/core/router.h"
#include "daemon/log/logger.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"

namespace inmost::core {

// The most versions one message keeps: a partner's daemon editing without end
// cannot fill this disk.
inline constexpr int kMaxVersions = 100;

class MessageEdits {
 public:
  // All references must outlive this object.
  MessageEdits(Conversation& conversation, const Clock& clock, log::Logger& log)
      : conversation_(conversation), clock_(clock), log_(log) {}

  // Registers the edit and versions requests and the partner's edits with `router`.
  void Register(Router& router);

  // Adds the edit to the batch being filled and the stream to the partner; the
  // caller syncs before it replies. An error means nothing was written.
  Result<control::EditReply> Edit(const control::EditRequest& request);
  Result<control::VersionsReply> Versions(const control::VersionsRequest& request) const;

 private:
  void OnEdit(const peer::Deliver& item);

  Conversation& conversation_;
  const Clock& clock_;
  log::Logger& log_;
};

}  // namespace inmost::core
