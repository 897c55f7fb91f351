// The boundaries each person sets for themselves: what the partner sees of them
// (presence here/away/quiet/hidden, last seen), read receipts, whether the
// partner's forget requests are honoured unasked, how many nudges an hour they
// accept, and quiet hours. It keeps this person's settings and what the partner
// announced of theirs, tells the partner ours at every link up and change, and
// applies reciprocity: nothing of the partner is shown that we do not share.
// During quiet it holds back announcements (never storage) and sums them up after.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>

#include "daemon/codec/core/quiet_window.h"
#include "daemon/core/clock.h"
#include "daemon/core/conversation.h"
#include "daemon/core/event_hub.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/partner_channel.h"
#include "daemon/core/router.h"
#include "daemon/core/timer.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

// Nudges a person accepts an hour unless they say otherwise.
inline constexpr uint32_t kDefaultNudgeBudget = 10;
// Two nudges this close together, one each way, make a same moment.
inline constexpr uint32_t kDefaultSameMomentSeconds = 10;
// The longest name or nickname (`config name`), in bytes of UTF-8.
inline constexpr size_t kMaxNameBytes = 64;

// Quiet (the Quiet request, holding back, the quiet timer) is boundaries_quiet.cc;
// the rest is boundaries.cc.
class Boundaries {
 public:
  // All references must outlive this object. It installs itself as `events`'
  // hold (quiet hours) and tells `conversation` whether to send read receipts.
  Boundaries(boost::asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
             Conversation& conversation, EventHub& events, PartnerChannel& channel,
             const Clock& clock, log::Logger& log);

  // Registers with `router` the messages and requests boundaries own;
  // `on_partner_presence` hears whether the partner is here, each time they say.
  void Register(Router& router, std::function<void(bool)> on_partner_presence);

  // Reads our settings and the partner's last announced boundaries.
  Status Load();
  // Starts watching for quiet to begin and end.
  void Start();
  void Stop();

  // ---- requests: each adds its writes to the batch being filled; the caller
  // must sync before it replies. An error means nothing was written. ----
  Result<control::ConfigReply> Config(const control::ConfigRequest& request);
  Result<control::PresenceReply> Presence(const control::PresenceRequest& request);
  Result<control::QuietReply> Quiet(const control::QuietRequest& request);

  // ---- what the rest of the daemon asks ----
  // What we show the partner (HERE when never chosen).
  control::Presence::Choice choice() const;
  // What the partner shows us, filtered by reciprocity.
  control::PartnerView PartnerView() const;
  // The name this person goes by (`config name`; empty: none).
  const std::string& name() const { return settings_.name(); }
  // What this person calls the partner: their nickname for them, else the name the
  // partner chose (empty: neither is known).
  std::string partner_name() const;
  bool QuietNow() const;
  // When the current quiet ends (0: not quiet).
  int64_t QuietUntil() const;
  uint32_t nudge_budget() const;
  uint32_t same_moment_seconds() const;
  bool honour_forget() const { return settings_.honour_forget(); }
  // How long messages stay after they are opened (`config disappear-after`; 0: they
  // stay). Either partner sets it for both: `hook` hears each change made here (in
  // the config request's batch), TakeDisappearAfter one the partner made.
  int64_t disappear_after_ms() const { return settings_.disappear_after_ms(); }
  void OnDisappearAfterChange(std::function<void(int64_t ms)> hook) {
    disappearing_changed_ = std::move(hook);
  }
  void TakeDisappearAfter(int64_t ms);
  // Whether this person shares typing (`config share-typing`, on unless turned off).
  bool share_typing() const { return !settings_.no_share_typing(); }
  // The partner's nudge budget as they announced it (the default until they have).
  uint32_t partner_nudge_budget() const;
  // The largest file we accept, told to the partner so their daemon refuses larger
  // ones up front; and the partner's (0: not announced).
  void SetMaxFileBytes(uint64_t bytes) { max_file_bytes_ = bytes; }
  uint64_t partner_max_file_bytes() const { return partner_known_ ? partner_.max_file_bytes() : 0; }

  // ---- what happens around it ----
  void OnLinkUp();
  void OnLinkDown();
  // Someone is present here (a chat is open), or no longer.
  void OnPresent(bool present);
  void OnPartnerPresence(const peer::Presence& presence);
  void OnPartnerBoundaries(const peer::Boundaries& boundaries);
  // A new partner: what the former one announced no longer applies.
  void StartWithNewPartner();
  // `observer` runs after this person's own settings or presence changed (what they
  // share may have).
  void SetOwnChangeObserver(std::function<void()> observer) {
    own_change_observer_ = std::move(observer);
  }

 private:
  // The daily quiet window the settings hold (only when quiet_hours_set).
  QuietWindow QuietHours() const;
  // True when `event` is held back now (quiet), counting it for the summary.
  bool Hold(const control::Event& event);
  void SaveSettings();
  // Tells the partner our boundaries and presence (each only when changed, unless
  // `always`).
  void Announce(bool always);
  peer::Presence PresenceToSend() const;
  peer::Boundaries BoundariesToSend() const;
  void PublishPartnerChanged();
  // Notices quiet beginning or ending; sleeps until the next change might happen.
  void CheckQuiet();
  void ArmQuietTimer();

  store::SealedStore& store_;
  GroupCommit& commit_;
  Conversation& conversation_;
  EventHub& events_;
  PartnerChannel& channel_;
  const Clock& clock_;
  log::Logger& log_;
  Timer quiet_timer_;
  bool stopped_ = false;
  std::function<void(int64_t)> disappearing_changed_;

  records::BoundarySettings settings_;
  uint64_t max_file_bytes_ = 0;
  peer::Boundaries partner_;  // As they announced it; `partner_known_` once they have.
  bool partner_known_ = false;
  peer::Presence partner_presence_;
  bool present_ = false;
  // The last presence and boundaries sent, so unchanged ones are not sent again.
  std::string sent_presence_;
  std::string sent_boundaries_;

  // The quiet now in effect, and what it has held back.
  bool quiet_ = false;
  control::QuietSummary held_;
  std::function<void()> own_change_observer_;
};

}  // namespace inmost::core
