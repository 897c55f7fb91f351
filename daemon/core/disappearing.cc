#include "daemon/core/disappearing.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "daemon/core/history_keys.h"
#include "daemon/core/message_view.h"

namespace inmost::core {
namespace {

// The timer sleeps at most this long at a time: a wall clock that jumps (a suspended
// laptop) is noticed within it.
constexpr auto kMaxWait = std::chrono::seconds(60);
// A failing store is tried again after this long.
constexpr int64_t kRetryMs = 5'000;
// Entries deleted in one batch; more due follow in the next.
constexpr size_t kMaxPerRound = 512;

struct Unit {
  char suffix;
  int64_t ms;
};
constexpr Unit kUnits[] = {{'d', 86'400'000}, {'h', 3'600'000}, {'m', 60'000}, {'s', 1'000}};

std::string Setting(int64_t ms) {
  return ms == 0 ? std::string("off") : DisappearAfterText(ms) + " after they are opened";
}

}  // namespace

Result<int64_t> ParseDisappearAfter(std::string_view text) {
  if (text == "off" || text == "0") return int64_t{0};
  const auto bad = InvalidArgument(
      "disappear-after is off, or a number of seconds, minutes, hours or days: 30s, 10m, 12h, "
      "7d (at least 5s, at most 365d)");
  if (text.size() < 2) return bad;
  const auto* unit = std::find_if(std::begin(kUnits), std::end(kUnits),
                                  [&](const Unit& u) { return u.suffix == text.back(); });
  if (unit == std::end(kUnits)) return bad;
  int64_t count = 0;
  auto digits = text.substr(0, text.size() - 1);
  auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (err != std::errc() || end != digits.data() + digits.size() || count <= 0 ||
      count > kMaxDisappearAfterMs / unit->ms) {
    return bad;
  }
  const int64_t ms = count * unit->ms;
  if (ms < kMinDisappearAfterMs) return bad;
  return ms;
}

std::string DisappearAfterText(int64_t ms) {
  if (ms <= 0) return "off";
  for (const Unit& unit : kUnits) {
    if (ms % unit.ms == 0) return std::to_string(ms / unit.ms) + unit.suffix;
  }
  return std::to_string(ms) + "ms";
}

Disappearing::Disappearing(boost::asio::io_context& io, store::SealedStore& store,
                           GroupCommit& commit, Conversation& conversation, Boundaries& boundaries,
                           const Clock& clock, log::Logger& log)
    : store_(store),
      commit_(commit),
      conversation_(conversation),
      boundaries_(boundaries),
      clock_(clock),
      log_(log),
      timer_(io, clock) {}

void Disappearing::Register(Router& router) {
  router.OnItem(peer::Deliver::kDisappearing, "disappearing messages",
                [this](const peer::Deliver& item) { OnItem(item); });
  boundaries_.OnDisappearAfterChange([this](int64_t ms) { OnOwnChange(ms); });
  conversation_.SetDisappearingHook([this](int64_t at) { WakeBy(at); });
}

void Disappearing::Start() {
  stopped_ = false;
  DeleteDue();
}

void Disappearing::Stop() {
  stopped_ = true;
  timer_.Cancel();
}

void Disappearing::OnOwnChange(int64_t ms) {
  peer::Deliver item;
  item.mutable_disappearing()->set_after_ms(ms);
  conversation_.EnqueueItem(std::move(item), 0);
  conversation_.AppendNotice(
      records::HistoryEntry::OUTGOING,
      ms == 0 ? "You turned disappearing messages off for both of you: "
                "messages from now on stay."
              : "You set messages from now on to disappear " + Setting(ms) + ", on both sides.");
}

void Disappearing::OnItem(const peer::Deliver& item) {
  const int64_t ms = item.disappearing().after_ms();
  if (ms != 0 && (ms < kMinDisappearAfterMs || ms > kMaxDisappearAfterMs)) {
    log_.Warning("ignoring a disappearing setting from the partner outside 5s..365d");
    return;
  }
  if (ms == boundaries_.disappear_after_ms()) return;
  boundaries_.TakeDisappearAfter(ms);
  conversation_.AppendNotice(records::HistoryEntry::INCOMING,
                             ms == 0 ? "Your partner turned disappearing messages off for both of "
                                       "you: messages from now on stay."
                                     : "Your partner set messages from now on to disappear " +
                                           Setting(ms) + ", on both sides.");
}

void Disappearing::WakeBy(int64_t at_unix_ms) {
  if (stopped_ || (wake_at_ != 0 && wake_at_ <= at_unix_ms)) return;
  wake_at_ = at_unix_ms;
  auto wait = std::chrono::milliseconds(std::max<int64_t>(0, at_unix_ms - clock_.NowUnixMs()));
  timer_.AsyncWaitFor(std::min<SteadyDuration>(wait, kMaxWait), [this](bool fired) {
    if (!fired) return;
    wake_at_ = 0;
    DeleteDue();
  });
}

void Disappearing::DeleteDue() {
  if (stopped_) return;
  const int64_t now = clock_.NowUnixMs();
  if (!conversation_.Ready().ok()) return WakeBy(now + kRetryMs);
  std::vector<std::pair<std::string, uint64_t>> due;
  int64_t next = 0;
  Status scan = store_.ForEach(kDisappearPrefix, [&](std::string_view key, std::string_view) {
    auto rest = key.substr(kDisappearPrefix.size());
    auto at = store::DecodeUint64(rest.substr(0, 8));
    auto id = rest.size() == 16 ? store::DecodeUint64(rest.substr(8)) : std::nullopt;
    if (!at || !id) return true;  // Not ours to read; left alone.
    if (static_cast<int64_t>(*at) > now) {
      next = static_cast<int64_t>(*at);
      return false;
    }
    due.emplace_back(std::string(key), *id);
    return due.size() < kMaxPerRound;
  });
  if (!scan.ok()) {
    log_.Warning("cannot look for messages to disappear: " + scan.ToString());
    return WakeBy(now + kRetryMs);
  }
  for (const auto& [key, id] : due) {
    commit_.batch().Delete(key);
    auto entry = conversation_.Entry(id);
    if (!entry.ok() || !HasContent(*entry)) continue;         // Gone already (forgotten).
    if (entry->pinned()) commit_.batch().Delete(PinKey(id));  // The pin goes with it.
    conversation_.Erase(*entry, records::HistoryEntry::DISAPPEARED);
    control::Event event;
    event.set_at_unix_ms(now);
    *event.mutable_changed()->mutable_message() = MessageView(*entry, false);
    conversation_.PublishWhenWritten(std::move(event));
  }
  if (due.empty()) {
    if (next != 0) WakeBy(next);
    return;
  }
  log_.Info("deleted " + std::to_string(due.size()) + " disappearing message(s)");
  commit_.AfterSync([this, next, full = due.size() == kMaxPerRound](const Status& status) {
    if (!status.ok()) return WakeBy(clock_.NowUnixMs() + kRetryMs);
    if (full) return DeleteDue();
    if (next != 0) WakeBy(next);
  });
}

}  // namespace inmost::core
