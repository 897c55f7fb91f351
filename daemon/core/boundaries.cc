// Boundaries (boundaries.h): the settings each person changes, what we show the
// partner and what we see of them, kept reciprocal. Quiet is boundaries_quiet.cc.
// Nothing of the partner is shown here that we do not share ourselves.
#include "daemon/core/boundaries.h"

#include <algorithm>
#include <charconv>

#include "daemon/core/disappearing.h"
#include "daemon/crypto/bytes.h"

namespace inmost::core {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kSettingsKey = "boundaries";
constexpr std::string_view kPartnerBoundariesKey = "partner/boundaries";
constexpr uint32_t kMaxNudgeBudget = 120;
constexpr uint32_t kMaxSameMomentSeconds = 300;

std::string OnOff(bool on) {
  return on ? "on" : "off";
}

Result<bool> ParseOnOff(std::string_view key, std::string_view value) {
  if (value == "on" || value == "yes" || value == "true") return true;
  if (value == "off" || value == "no" || value == "false") return false;
  return InvalidArgument(std::string(key) + " is on or off, not '" + std::string(value) + "'");
}

Result<uint32_t> ParseCount(std::string_view key, std::string_view value, uint32_t min,
                            uint32_t max) {
  uint32_t n = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (error != std::errc() || end != value.data() + value.size() || n < min || n > max) {
    return InvalidArgument(std::string(key) + " is a whole number from " + std::to_string(min) +
                           " to " + std::to_string(max));
  }
  return n;
}

control::Presence::Choice ToControl(peer::Presence::Choice choice) {
  return static_cast<control::Presence::Choice>(choice);
}

}  // namespace

Boundaries::Boundaries(asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
                       Conversation& conversation, EventHub& events, PartnerChannel& channel,
                       const Clock& clock, log::Logger& log)
    : store_(store),
      commit_(commit),
      conversation_(conversation),
      events_(events),
      channel_(channel),
      clock_(clock),
      log_(log),
      quiet_timer_(io, clock) {
  events_.SetHold([this](const control::Event& event) { return Hold(event); });
  // After a failed write, only the settings that reached the disk are in effect,
  // and the partner is told them again.
  conversation_.AddReloadHook([this] {
    records::BoundarySettings settings;
    auto stored = store_.Get(kSettingsKey);
    if (stored.ok() ? !settings.ParseFromString(*stored)
                    : stored.status().code() != Code::kNotFound) {
      log_.Error("could not re-read the boundaries: " +
                 (stored.ok() ? std::string("they do not parse") : stored.status().ToString()));
      return;
    }
    settings_ = std::move(settings);
    conversation_.SetSendReadReceipts(!settings_.no_read_receipts());
    CheckQuiet();
    Announce(false);
    if (own_change_observer_) own_change_observer_();
  });
}

Status Boundaries::Load() {
  auto settings = store_.Get(kSettingsKey);
  if (settings.ok()) {
    if (!settings_.ParseFromString(*settings)) return Corruption("the boundaries do not parse");
  } else if (settings.status().code() != Code::kNotFound) {
    return settings.status();
  }
  auto partner = store_.Get(kPartnerBoundariesKey);
  if (partner.ok()) {
    if (!partner_.ParseFromString(*partner)) {
      return Corruption("the partner's boundaries do not parse");
    }
    partner_known_ = true;
  } else if (partner.status().code() != Code::kNotFound) {
    return partner.status();
  }
  conversation_.SetSendReadReceipts(!settings_.no_read_receipts());
  conversation_.SetPartnerSendsReadReceipts(!partner_known_ || partner_.read_receipts());
  conversation_.SetDisappearAfter(settings_.disappear_after_ms());
  quiet_ = QuietNow();
  held_.set_quiet_since_unix_ms(clock_.NowUnixMs());
  return Status::Ok();
}

void Boundaries::Start() {
  ArmQuietTimer();
}

void Boundaries::Stop() {
  stopped_ = true;
  quiet_timer_.Cancel();
  events_.SetHold(nullptr);
}

// ---- requests -----------------------------------------------------------------------

namespace {

// A name as a person would write it on one line: "off" clears it.
Status SetName(std::string_view value, std::string_view what, std::string& name) {
  if (value == "off") {
    name.clear();
    return Status::Ok();
  }
  INMOST_RETURN_IF_ERROR(ValidateText(value, what, kMaxNameBytes));
  if (std::any_of(value.begin(), value.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return InvalidArgument(std::string(what) + " is one line, without control characters");
  }
  name = std::string(value);
  return Status::Ok();
}

}  // namespace

Result<control::ConfigReply> Boundaries::Config(const control::ConfigRequest& request) {
  struct Setting {
    std::string_view key;
    std::string_view description;
    std::function<std::string()> get;
    std::function<Status(std::string_view)> set;
  };
  auto& s = settings_;
  const Setting table[] = {
      {"share-last-seen",
       "your partner sees when you were last here; you see theirs only while you share yours",
       [&] { return OnOff(s.share_last_seen()); },
       [&](std::string_view v) {
         auto on = ParseOnOff("share-last-seen", v);
         if (on.ok()) s.set_share_last_seen(*on);
         return on.status();
       }},
      {"read-receipts", "your partner sees when you have read their messages",
       [&] { return OnOff(!s.no_read_receipts()); },
       [&](std::string_view v) {
         auto on = ParseOnOff("read-receipts", v);
         if (on.ok()) s.set_no_read_receipts(!*on);
         return on.status();
       }},
      {"honour-forget",
       "a message your partner asks to forget is deleted here at once, without asking you",
       [&] { return OnOff(s.honour_forget()); },
       [&](std::string_view v) {
         auto on = ParseOnOff("honour-forget", v);
         if (on.ok()) s.set_honour_forget(*on);
         return on.status();
       }},
      {"nudge-budget", "how many nudges an hour you accept (0: none)",
       [&] { return std::to_string(nudge_budget()); },
       [&](std::string_view v) {
         auto n = ParseCount("nudge-budget", v, 0, kMaxNudgeBudget);
         if (n.ok()) {
           s.set_nudge_budget_set(true);
           s.set_nudge_budget_per_hour(*n);
         }
         return n.status();
       }},
      {"quiet-hours",
       "a daily quiet window in local time (HH:MM-HH:MM, or off): only urgent messages are "
       "announced, the rest summed up after",
       [&] { return s.quiet_hours_set() ? QuietHours().ToString() : std::string("off"); },
       [&](std::string_view v) {
         if (v == "off") {
           s.set_quiet_hours_set(false);
           return Status::Ok();
         }
         auto window = ParseQuietWindow(v);
         if (!window.ok()) return window.status();
         s.set_quiet_hours_set(true);
         s.set_quiet_start_minute(window->start_minute);
         s.set_quiet_end_minute(window->end_minute);
         return Status::Ok();
       }},
      {"name", "the name you go by: your partner sees it (off: none)",
       [&] { return s.name().empty() ? std::string("off") : s.name(); },
       [&](std::string_view v) { return SetName(v, "a name", *s.mutable_name()); }},
      {"partner-nickname",
       "what you call your partner here, over the name they chose (off: their name)",
       [&] { return s.partner_nickname().empty() ? std::string("off") : s.partner_nickname(); },
       [&](std::string_view v) { return SetName(v, "a nickname", *s.mutable_partner_nickname()); }},
      {"disappear-after",
       "messages sent from now on are deleted on both sides this long after they are opened "
       "(off, or 30s, 10m, 12h, 7d...); your partner's daemon takes the same setting",
       [&] { return DisappearAfterText(s.disappear_after_ms()); },
       [&](std::string_view v) {
         auto ms = ParseDisappearAfter(v);
         if (ms.ok()) s.set_disappear_after_ms(*ms);
         return ms.status();
       }},
      {"share-typing",
       "your partner sees when you are writing; you see when they are only while you share yours",
       [&] { return OnOff(!s.no_share_typing()); },
       [&](std::string_view v) {
         auto on = ParseOnOff("share-typing", v);
         if (on.ok()) s.set_no_share_typing(!*on);
         return on.status();
       }},
      {"same-moment-seconds", "two nudges this close, one each way, make a same moment",
       [&] { return std::to_string(same_moment_seconds()); },
       [&](std::string_view v) {
         auto n = ParseCount("same-moment-seconds", v, 1, kMaxSameMomentSeconds);
         if (n.ok()) s.set_same_moment_seconds(*n);
         return n.status();
       }},
  };

  control::ConfigReply reply;
  auto add = [&](const Setting& setting) {
    auto* out = reply.add_settings();
    out->set_key(std::string(setting.key));
    out->set_value(setting.get());
    out->set_description(std::string(setting.description));
  };
  if (request.key().empty()) {
    if (!request.value().empty()) return InvalidArgument("a value needs a key");
    for (const auto& setting : table) add(setting);
    return reply;
  }
  const auto* setting = std::find_if(std::begin(table), std::end(table),
                                     [&](const Setting& t) { return t.key == request.key(); });
  if (setting == std::end(table)) {
    std::string keys;
    for (const auto& t : table) keys += (keys.empty() ? "" : ", ") + std::string(t.key);
    return InvalidArgument("there is no setting '" + request.key() + "'; the settings are " + keys);
  }
  if (!request.value().empty()) {
    records::BoundarySettings before = settings_;
    if (Status set = setting->set(request.value()); !set.ok()) {
      settings_ = before;
      return set;
    }
    SaveSettings();
    conversation_.SetSendReadReceipts(!settings_.no_read_receipts());
    if (settings_.disappear_after_ms() != before.disappear_after_ms()) {
      conversation_.SetDisappearAfter(settings_.disappear_after_ms());
      if (disappearing_changed_) disappearing_changed_(settings_.disappear_after_ms());
    }
    CheckQuiet();
    Announce(false);
    if (own_change_observer_) own_change_observer_();
  }
  add(*setting);
  return reply;
}

Result<control::PresenceReply> Boundaries::Presence(const control::PresenceRequest& request) {
  if (request.choice() != control::Presence::CHOICE_UNSPECIFIED) {
    if (!control::Presence::Choice_IsValid(request.choice())) {
      return InvalidArgument("presence is here, away, quiet or hidden");
    }
    settings_.set_presence(static_cast<uint32_t>(request.choice()));
    SaveSettings();
    Announce(false);
    PublishPartnerChanged();  // Reciprocity: what we see of them may change too.
    if (own_change_observer_) own_change_observer_();
  }
  control::PresenceReply reply;
  reply.set_choice(choice());
  reply.set_share_last_seen(settings_.share_last_seen());
  *reply.mutable_partner() = PartnerView();
  return reply;
}

// ---- what we show, and what we see ------------------------------------------------------

control::Presence::Choice Boundaries::choice() const {
  auto chosen = static_cast<control::Presence::Choice>(settings_.presence());
  return chosen == control::Presence::CHOICE_UNSPECIFIED ? control::Presence::HERE : chosen;
}

uint32_t Boundaries::nudge_budget() const {
  return settings_.nudge_budget_set() ? settings_.nudge_budget_per_hour() : kDefaultNudgeBudget;
}

uint32_t Boundaries::same_moment_seconds() const {
  return settings_.same_moment_seconds() != 0 ? settings_.same_moment_seconds()
                                              : kDefaultSameMomentSeconds;
}

uint32_t Boundaries::partner_nudge_budget() const {
  return partner_known_ ? partner_.nudge_budget_per_hour() : kDefaultNudgeBudget;
}

std::string Boundaries::partner_name() const {
  if (!settings_.partner_nickname().empty()) return settings_.partner_nickname();
  return partner_known_ ? partner_.name() : std::string();
}

control::PartnerView Boundaries::PartnerView() const {
  control::PartnerView view;
  view.set_name(partner_name());
  if (partner_known_) view.set_chosen_name(partner_.name());
  if (partner_known_) {
    view.set_known(true);
    view.set_read_receipts(partner_.read_receipts());
    view.set_honour_forget(partner_.honour_forget());
    view.set_nudge_budget_per_hour(partner_.nudge_budget_per_hour());
  }
  // Reciprocity: hidden, we see nothing of them; their last seen only while we
  // share ours. (Their daemon also sends it only then.)
  if (choice() == control::Presence::HIDDEN) return view;
  if (partner_presence_.choice() != peer::Presence::HIDDEN) {
    view.set_choice(ToControl(partner_presence_.choice()));
    view.set_present(partner_presence_.present() && channel_.IsUp());
    view.set_quiet(partner_presence_.quiet());
  }
  if (settings_.share_last_seen())
    view.set_last_seen_unix_ms(partner_presence_.last_seen_unix_ms());
  return view;
}

peer::Presence Boundaries::PresenceToSend() const {
  peer::Presence presence;
  auto chosen = static_cast<peer::Presence::Choice>(choice());
  presence.set_choice(chosen);
  if (chosen == peer::Presence::HIDDEN) return presence;  // Nothing else, not even present.
  presence.set_present(present_);
  // Quiet time (quiet hours or `inmost quiet`) only: choosing "quiet" is already in
  // `choice`, and also flagging it told the partner of quiet hours nobody had set.
  presence.set_quiet(quiet_);
  // Last seen goes only to a partner who shares theirs: nobody watches unseen.
  if (settings_.share_last_seen() && partner_known_ && partner_.share_last_seen()) {
    presence.set_last_seen_unix_ms(present_ ? clock_.NowUnixMs() : settings_.last_seen_unix_ms());
  }
  return presence;
}

peer::Boundaries Boundaries::BoundariesToSend() const {
  peer::Boundaries boundaries;
  boundaries.set_read_receipts(!settings_.no_read_receipts());
  boundaries.set_share_last_seen(settings_.share_last_seen() &&
                                 choice() != control::Presence::HIDDEN);
  boundaries.set_honour_forget(settings_.honour_forget());
  boundaries.set_nudge_budget_per_hour(nudge_budget());
  boundaries.set_max_file_bytes(max_file_bytes_);
  boundaries.set_name(settings_.name());
  return boundaries;
}

void Boundaries::Announce(bool always) {
  if (!channel_.IsUp()) return;
  // Boundaries first: the partner's daemon needs ours to decide what presence to send.
  peer::PeerMessage boundaries;
  *boundaries.mutable_boundaries() = BoundariesToSend();
  std::string encoded = boundaries.SerializeAsString();
  if ((always || encoded != sent_boundaries_) && channel_.SendToPartner(boundaries)) {
    sent_boundaries_ = std::move(encoded);
  }
  peer::PeerMessage presence;
  *presence.mutable_presence() = PresenceToSend();
  encoded = presence.SerializeAsString();
  if ((always || encoded != sent_presence_) && channel_.SendToPartner(presence)) {
    sent_presence_ = std::move(encoded);
  }
}

void Boundaries::PublishPartnerChanged() {
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  *event.mutable_partner_changed()->mutable_partner() = PartnerView();
  events_.Publish(event);
}

// ---- around it ------------------------------------------------------------------------------

void Boundaries::OnLinkUp() {
  Announce(true);
}

void Boundaries::OnLinkDown() {
  partner_presence_.set_present(false);
  sent_presence_.clear();
  sent_boundaries_.clear();
}

void Boundaries::OnPresent(bool present) {
  if (present == present_) return;
  present_ = present;
  if (!present) {
    settings_.set_last_seen_unix_ms(clock_.NowUnixMs());
    commit_.batch().Put(kSettingsKey, crypto::AsBytes(settings_.SerializeAsString()));
    commit_.AfterWrite([](const Status&) {});  // Only a last-seen time: a crash may lose it.
  }
  Announce(false);
}

void Boundaries::OnPartnerPresence(const peer::Presence& presence) {
  partner_presence_ = presence;
  PublishPartnerChanged();
}

void Boundaries::OnPartnerBoundaries(const peer::Boundaries& boundaries) {
  bool share_changed =
      !partner_known_ || boundaries.share_last_seen() != partner_.share_last_seen();
  partner_ = boundaries;
  partner_known_ = true;
  conversation_.SetPartnerSendsReadReceipts(partner_.read_receipts());
  std::string name;
  if (!SetName(boundaries.name().empty() ? "off" : boundaries.name(), "a name", name).ok()) {
    log_.Warning("the partner's name is not one line of at most " + std::to_string(kMaxNameBytes) +
                 " bytes of text; it is not shown");
  }
  partner_.set_name(name);
  commit_.batch().Put(kPartnerBoundariesKey, crypto::AsBytes(partner_.SerializeAsString()));
  commit_.AfterWrite([](const Status&) {});  // Told again at every link up.
  if (share_changed) Announce(false);        // Our last seen now goes, or stops.
  PublishPartnerChanged();
}

void Boundaries::TakeDisappearAfter(int64_t ms) {
  settings_.set_disappear_after_ms(ms);
  conversation_.SetDisappearAfter(ms);
  SaveSettings();
}

void Boundaries::StartWithNewPartner() {
  partner_known_ = false;
  conversation_.SetPartnerSendsReadReceipts(true);
  partner_.Clear();
  partner_presence_.Clear();
  commit_.batch().Delete(kPartnerBoundariesKey);
}

QuietWindow Boundaries::QuietHours() const {
  return QuietWindow{settings_.quiet_start_minute(), settings_.quiet_end_minute()};
}

void Boundaries::SaveSettings() {
  commit_.batch().Put(kSettingsKey, crypto::AsBytes(settings_.SerializeAsString()));
}

}  // namespace inmost::core
