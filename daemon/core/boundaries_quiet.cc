// Quiet (boundaries.h): a while (inmost quiet) or daily quiet hours, during which
// only urgent messages are announced and the rest are counted for a summary after.
// It holds back announcements only: everything is stored as ever.
#include <algorithm>
#include <chrono>

#include "daemon/core/boundaries.h"

namespace inmost::core {
namespace {

constexpr uint64_t kMaxQuietSeconds = uint64_t{7} * 24 * 3600;
// The longest the quiet timer sleeps: a wall clock that jumps is noticed within it.
constexpr auto kMaxQuietWait = std::chrono::seconds(30);

}  // namespace

Result<control::QuietReply> Boundaries::Quiet(const control::QuietRequest& request) {
  if (request.end() == (request.for_seconds() != 0)) {
    return InvalidArgument("say how long to be quiet, or end the quiet");
  }
  if (request.for_seconds() > kMaxQuietSeconds) {
    return InvalidArgument("quiet lasts at most 7 days; for longer, set quiet-hours");
  }
  int64_t now = clock_.NowUnixMs();
  if (request.end()) {
    if (settings_.quiet_hours_set() && QuietHours().Contains(LocalMinuteOfDay(now))) {
      return FailedPrecondition("these are your quiet hours (" + QuietHours().ToString() +
                                "); turn them off with: inmost config quiet-hours off");
    }
    settings_.set_quiet_until_unix_ms(0);
  } else {
    settings_.set_quiet_until_unix_ms(now + static_cast<int64_t>(request.for_seconds()) * 1000);
  }
  SaveSettings();
  CheckQuiet();
  control::QuietReply reply;
  reply.set_quiet(QuietNow());
  reply.set_quiet_until_unix_ms(QuietUntil());
  return reply;
}

bool Boundaries::QuietNow() const {
  int64_t now = clock_.NowUnixMs();
  if (settings_.quiet_until_unix_ms() > now) return true;
  return settings_.quiet_hours_set() && QuietHours().Contains(LocalMinuteOfDay(now));
}

int64_t Boundaries::QuietUntil() const {
  if (!QuietNow()) return 0;
  int64_t now = clock_.NowUnixMs();
  int64_t until = settings_.quiet_until_unix_ms();
  if (settings_.quiet_hours_set()) {
    uint32_t minute = LocalMinuteOfDay(now);
    if (QuietWindow window = QuietHours(); window.Contains(minute)) {
      int64_t window_end = now - now % 60000 + int64_t{window.MinutesLeft(minute)} * 60000;
      until = std::max(until, window_end);
    }
  }
  return until;
}

bool Boundaries::Hold(const control::Event& event) {
  if (!quiet_) return false;
  const control::Message* message = nullptr;
  if (event.has_message_received()) {
    message = &event.message_received().message();
  } else if (event.has_same_moment()) {
    message = &event.same_moment().message();
  } else {
    return false;  // Our own messages' progress, the link, the partner's presence.
  }
  if (message->urgent()) return false;
  switch (message->kind()) {
    case control::Message::NUDGE:
      if (!message->nudge().over_budget()) held_.set_nudges(held_.nudges() + 1);
      break;
    case control::Message::ENVELOPE:
      held_.set_envelopes(held_.envelopes() + 1);
      break;
    case control::Message::MOMENT:
      break;
    default:
      held_.set_messages(held_.messages() + 1);
      break;
  }
  if (held_.first_id() == 0) held_.set_first_id(message->id());
  return true;
}

void Boundaries::CheckQuiet() {
  bool quiet = QuietNow();
  if (quiet == quiet_) return;
  quiet_ = quiet;
  if (quiet) {
    held_.Clear();
    held_.set_quiet_since_unix_ms(clock_.NowUnixMs());
    log_.Info("quiet: only urgent messages are announced");
  } else {
    control::Event event;
    event.set_at_unix_ms(clock_.NowUnixMs());
    *event.mutable_quiet_summary() = held_;
    held_.Clear();
    log_.Info("quiet ended");
    events_.Publish(event);
  }
  Announce(false);
}

void Boundaries::ArmQuietTimer() {
  if (stopped_) return;
  int64_t now = clock_.NowUnixMs();
  auto wait = std::chrono::milliseconds(kMaxQuietWait);
  if (settings_.quiet_until_unix_ms() > now) {
    wait = std::min(wait, std::chrono::milliseconds(settings_.quiet_until_unix_ms() - now));
  }
  if (settings_.quiet_hours_set()) {
    // Quiet hours begin and end on a minute.
    wait = std::min(wait, std::chrono::milliseconds(60000 - now % 60000));
  }
  quiet_timer_.AsyncWaitFor(wait, [this](bool fired) {
    if (!fired || stopped_) return;
    CheckQuiet();
    ArmQuietTimer();
  });
}

}  // namespace inmost::core
