// Nudges: wordless signals (a hug, thinking of you). One leaves at once while the
// link is up; while it is down it waits, and several of one kind become one with a
// count. The receiver's budget (nudges an hour) is respected on both sides: the
// sender refuses beyond it, the receiver keeps any excess without announcing it.
// Two live nudges, one each way within a few seconds, make a same moment, which
// both daemons record. It never holds text.
#pragma once

#include "daemon/core/boundaries.h"
#include "daemon/core/clock.h"
#include "daemon/core/conversation.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/partner_channel.h"
#include "daemon/core/router.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

class Nudges {
 public:
  // All references must outlive this object; the partner's nudges reach it through
  // the router (Register).
  Nudges(store::SealedStore& store, GroupCommit& commit, Conversation& conversation,
         const Boundaries& boundaries, PartnerChannel& channel, const Clock& clock,
         log::Logger& log);

  // Registers with `router` the item and the request nudges own.
  void Register(Router& router);

  // Reads the ledger (recent nudges, queued ones).
  Status Load();
  // Adds a nudge to the batch being filled; the caller must sync before replying.
  Result<control::NudgeReply> Send(const control::NudgeRequest& request);
  // The link is up: the queued nudges leave, one item per kind.
  void OnLinkUp();
  // A new partner: queued nudges are not for them.
  void StartWithNewPartner();

 private:
  void OnItem(const peer::Deliver& item);
  // Drops ledger times older than an hour.
  void Prune();
  void SaveLedger();
  // Records a same moment here and announces it.
  void RecordSameMoment();
  bool WithinSameMoment(int64_t a, int64_t b) const;

  store::SealedStore& store_;
  GroupCommit& commit_;
  Conversation& conversation_;
  const Boundaries& boundaries_;
  PartnerChannel& channel_;
  const Clock& clock_;
  log::Logger& log_;
  records::NudgeLedger ledger_;
  bool told_over_budget_ = false;  // The log said the partner is past the budget.
};

}  // namespace inmost::core
