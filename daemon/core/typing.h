// Typing: tells the partner "writing…" while this person types, and shows theirs.
// A signal of the moment only: never stored, never sequenced, never queued for a link
// that is down, and never sent while hidden or not sharing typing (reciprocity:
// the partner's is shown only while we share ours).
#pragma once

#include <chrono>
#include <cstdint>

#include "daemon/core/boundaries.h"
#include "daemon/core/clock.h"
#include "daemon/core/event_hub.h"
#include "daemon/core/partner_channel.h"
#include "daemon/core/router.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"

namespace inmost::core {

// At most one "writing" signal this often while typing goes on (a stop goes at once).
inline constexpr std::chrono::milliseconds kTypingSendEvery{3000};
// How long the partner's "writing…" shows after each signal, unless told again.
inline constexpr std::chrono::milliseconds kTypingShownFor{6000};

class Typing {
 public:
  // All references must outlive this object.
  Typing(EventHub& events, PartnerChannel& channel, const Boundaries& boundaries,
         const Clock& clock);

  // Registers with `router` the request and the peer message typing owns.
  void Register(Router& router);

  // This person is writing (or stopped: sent or cleared the text). Writes nothing.
  Result<control::TypingReply> Tell(const control::TypingRequest& request);
  // The partner is writing, or stopped.
  void OnPartnerTyping(const peer::Typing& typing);

  // The link went down: nothing said over it holds any more.
  void OnLinkDown();
  // Our presence or share-typing changed: once we no longer share, theirs goes.
  void OnSharingChanged();

  // Whether this side shares typing now: share-typing on and not hidden.
  bool Shares() const;

 private:
  // Tells subscribers whether the partner is writing (and until when).
  void PublishPartnerTyping(bool typing, int64_t until_unix_ms);
  // Ends a "writing…" shown now, if any.
  void HidePartnerTyping();

  EventHub& events_;
  PartnerChannel& channel_;
  const Boundaries& boundaries_;
  const Clock& clock_;

  // What we last told the partner: a "writing" since the last stop, and when.
  bool told_writing_ = false;
  SteadyTime told_at_{};
  // The partner's "writing…" as shown to subscribers: until then (0: not shown).
  int64_t shown_until_unix_ms_ = 0;
};

}  // namespace inmost::core
