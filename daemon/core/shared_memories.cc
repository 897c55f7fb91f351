#include "daemon/core/shared_memories.h"

#include <boost/asio/post.hpp>
#include <ctime>

#include "daemon/codec/core/question_of_the_day.h"
#include "daemon/core/disappearing.h"
#include "daemon/core/history_keys.h"
#include "daemon/core/message_view.h"
#include "daemon/crypto/bytes.h"
#include "daemon/store/record_key.h"

namespace inmost::core {
namespace {

using records::HistoryEntry;

constexpr std::string_view kForgetAllKey = "forget/all";
// Forgetting everything writes and syncs this many entries at a time, so memory
// does not grow with the history.
constexpr uint64_t kForgetChunk = 4096;
// Recall shows at most this many messages of one day.
constexpr int kMaxRecallPerDay = 20;
constexpr int kMaxRecallYears = 100;

bool IsForgotten(const HistoryEntry& entry) {
  return !HasContent(entry);
}

// Ok for a reaction: short, valid UTF-8, no spaces or control characters.
Status ValidateReaction(const std::string& emoji) {
  INMOST_RETURN_IF_ERROR(ValidateText(emoji, "the reaction", kMaxReactionBytes));
  for (unsigned char c : emoji) {
    if (c <= 0x20 || c == 0x7f) {
      return InvalidArgument("a reaction has no spaces or control characters");
    }
  }
  return Status::Ok();
}

// YYYYMMDD <-> "YYYY-MM-DD", and the day a number of months/years before.
uint32_t DayNumber(const std::string& date) {
  return static_cast<uint32_t>(std::stoul(date.substr(0, 4) + date.substr(5, 2) + date.substr(8)));
}

std::string DateText(int year, int month, int day) {
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", year, month, day);
  return text;
}

// The same day of the month in (year, month), or the month's last day when it is
// shorter (a month before March 31 is February 28 or 29).
std::optional<std::string> ClippedDate(int year, int month, int day) {
  for (; day >= 28; --day) {
    if (ParseUtcDate(DateText(year, month, day)).ok()) return DateText(year, month, day);
  }
  return ParseUtcDate(DateText(year, month, day)).ok() ? std::optional(DateText(year, month, day))
                                                       : std::nullopt;
}

std::string TodayLocal(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  return DateText(local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
}

}  // namespace

SharedMemories::SharedMemories(boost::asio::io_context& io, store::SealedStore& store,
                               GroupCommit& commit, Conversation& conversation,
                               const Boundaries& boundaries, const Clock& clock, log::Logger& log)
    : io_(io),
      store_(store),
      commit_(commit),
      conversation_(conversation),
      boundaries_(boundaries),
      clock_(clock),
      log_(log) {}

Status SharedMemories::Load() {
  auto value = store_.Get(kForgetAllKey);
  if (value.ok()) {
    records::ForgetAllAsked asked;
    if (!asked.ParseFromString(*value)) return Corruption("a forget request does not parse");
    forget_all_asked_ = asked.asked_at_unix_ms();
  } else if (value.status().code() != Code::kNotFound) {
    return value.status();
  }
  return Status::Ok();
}

Result<HistoryEntry> SharedMemories::SharedEntry(uint64_t id) const {
  auto entry = conversation_.Entry(id);
  if (!entry.ok()) return entry.status();
  if (IsForgotten(*entry))
    return FailedPrecondition("message " + conversation_.Describe(id) + " is forgotten");
  if (!conversation_.RefFor(*entry).ok()) return conversation_.RefFor(*entry).status();
  return entry;
}

// ---- reactions and pins -----------------------------------------------------------------

Result<control::ReactReply> SharedMemories::React(const control::ReactRequest& request) {
  if (!request.emoji().empty()) INMOST_RETURN_IF_ERROR(ValidateReaction(request.emoji()));
  auto entry = SharedEntry(request.id());
  if (!entry.ok()) return entry.status();
  entry->set_my_reaction(request.emoji());
  conversation_.PutEntry(*entry);
  peer::Deliver item;
  *item.mutable_reaction()->mutable_message() = *conversation_.RefFor(*entry);
  item.mutable_reaction()->set_emoji(request.emoji());
  conversation_.EnqueueItem(std::move(item), 0);
  PublishChanged(*entry);
  control::ReactReply reply;
  *reply.mutable_message() = MessageView(*entry, false);
  return reply;
}

Result<control::PinReply> SharedMemories::Pin(const control::PinRequest& request) {
  auto entry = SharedEntry(request.id());
  if (!entry.ok()) return entry.status();
  if (!request.unpin() && !entry->pinned() && entry->disappear_after_ms() > 0 &&
      !request.anyway()) {
    // A pin does not keep a message from disappearing: say so rather than let it seem kept.
    return FailedPrecondition("message " + conversation_.Describe(entry->id()) + " disappears " +
                              DisappearAfterText(entry->disappear_after_ms()) +
                              " after it is opened, on both sides, and its pin with it; "
                              "pin it anyway (pin --anyway) to keep it among your memories "
                              "until then");
  }
  if (entry->pinned() != !request.unpin()) {
    SetPinned(*entry, !request.unpin());
    peer::Deliver item;
    *item.mutable_pin()->mutable_message() = *conversation_.RefFor(*entry);
    item.mutable_pin()->set_pinned(!request.unpin());
    conversation_.EnqueueItem(std::move(item), 0);
    PublishChanged(*entry);
  }
  control::PinReply reply;
  *reply.mutable_message() = MessageView(*entry, false);
  return reply;
}

void SharedMemories::SetPinned(HistoryEntry& entry, bool pinned) {
  entry.set_pinned(pinned);
  conversation_.PutEntry(entry);
  if (pinned) {
    commit_.batch().Put(PinKey(entry.id()), crypto::AsBytes("1"));
  } else {
    commit_.batch().Delete(PinKey(entry.id()));
  }
}

Result<control::MemoriesReply> SharedMemories::Memories() const {
  std::vector<uint64_t> ids;
  INMOST_RETURN_IF_ERROR(store_.ForEach(kPinPrefix, [&](std::string_view key, std::string_view) {
    if (auto id = store::DecodeUint64(key.substr(kPinPrefix.size()))) ids.push_back(*id);
    return true;
  }));
  control::MemoriesReply reply;
  for (uint64_t id : ids) {
    auto entry = conversation_.Entry(id);
    if (!entry.ok()) return entry.status();
    if (entry->pinned()) *reply.add_messages() = MessageView(*entry, false);
  }
  return reply;
}

void SharedMemories::OnReaction(const peer::Reaction& reaction) {
  auto entry = conversation_.Resolve(reaction.message());
  if (!entry.ok() || IsForgotten(*entry)) return;  // Gone here, or never was.
  if (!reaction.emoji().empty() && !ValidateReaction(reaction.emoji()).ok()) {
    log_.Warning("ignoring a malformed reaction from the partner");
    return;
  }
  entry->set_their_reaction(reaction.emoji());
  conversation_.PutEntry(*entry);
  PublishChanged(*entry);
}

void SharedMemories::OnPin(const peer::Pin& pin) {
  auto entry = conversation_.Resolve(pin.message());
  if (!entry.ok() || IsForgotten(*entry) || entry->pinned() == pin.pinned()) return;
  SetPinned(*entry, pin.pinned());
  PublishChanged(*entry);
}

// ---- recall -------------------------------------------------------------------------------

Result<control::RecallReply> SharedMemories::Recall(const control::RecallRequest& request) const {
  std::string today = request.date().empty() ? TodayLocal(clock_.NowUnixMs()) : request.date();
  if (!ParseUtcDate(today).ok()) return InvalidArgument("the date is YYYY-MM-DD");
  auto days = conversation_.DayIndex();
  if (!days.ok()) return days.status();
  control::RecallReply reply;
  if (days->empty()) return reply;

  int year = std::stoi(today.substr(0, 4)), month = std::stoi(today.substr(5, 2)),
      day = std::stoi(today.substr(8));
  std::vector<std::pair<std::string, std::string>> wanted;  // Date, label.
  if (auto month_ago =
          ClippedDate(month == 1 ? year - 1 : year, month == 1 ? 12 : month - 1, day)) {
    wanted.emplace_back(*month_ago, "a month ago");
  }
  uint32_t first_day = days->begin()->first;
  for (int years = 1; years <= kMaxRecallYears; ++years) {
    auto date = ClippedDate(year - years, month, day);
    if (!date) continue;
    if (DayNumber(*date) < first_day - first_day % 10000) break;  // Before the first year.
    wanted.emplace_back(*date, years == 1 ? "a year ago" : std::to_string(years) + " years ago");
  }
  for (const auto& [date, label] : wanted) {
    auto it = days->find(DayNumber(date));
    if (it == days->end()) continue;
    auto next = std::next(it);
    uint64_t end = next == days->end() ? conversation_.last_history_id() + 1 : next->second;
    control::RecallReply::Day out;
    out.set_date(date);
    out.set_label(label);
    for (uint64_t id = it->second; id < end && out.messages_size() < kMaxRecallPerDay; ++id) {
      auto entry = conversation_.Entry(id);
      if (!entry.ok()) {
        if (entry.status().code() == Code::kNotFound) continue;
        return entry.status();
      }
      if (IsForgotten(*entry) || entry->moment()) continue;
      *out.add_messages() = MessageView(*entry, false);
    }
    if (out.messages_size() > 0) *reply.add_days() = std::move(out);
  }
  return reply;
}

// ---- forgetting ---------------------------------------------------------------------------

Result<control::ForgetReply> SharedMemories::Forget(const control::ForgetRequest& request) {
  auto found = conversation_.Entry(request.id());
  if (!found.ok()) return found.status();
  HistoryEntry& entry = *found;
  auto ref = conversation_.RefFor(entry);
  if (request.keep()) {
    if (entry.forget() != HistoryEntry::PARTNER_ASKS) {
      return FailedPrecondition("your partner has not asked to forget message " +
                                conversation_.Describe(entry.id()));
    }
    entry.set_forget(HistoryEntry::KEPT);
    conversation_.PutEntry(entry);
    peer::Deliver item;
    *item.mutable_forget_answer()->mutable_message() = *ref;
    item.mutable_forget_answer()->set_forgotten(false);
    conversation_.EnqueueItem(std::move(item), 0);
  } else {
    if (IsForgotten(entry)) {
      return FailedPrecondition("message " + conversation_.Describe(entry.id()) +
                                " is already forgotten");
    }
    if (IsPending(entry)) {
      return FailedPrecondition("message " + conversation_.Describe(entry.id()) +
                                " is still sealed or scheduled: withdraw it with inmost retract");
    }
    if (entry.direction() == HistoryEntry::OUTGOING && entry.state() == HistoryEntry::PENDING) {
      return FailedPrecondition("message " + conversation_.Describe(entry.id()) +
                                " has not reached your partner yet; forget it once it has");
    }
    peer::Deliver item;
    if (!ref.ok()) {
      Erase(entry, HistoryEntry::FORGOTTEN);  // Only here: the partner never had it.
    } else if (entry.forget() == HistoryEntry::PARTNER_ASKS) {
      Erase(entry, HistoryEntry::FORGOTTEN_BOTH);
      *item.mutable_forget_answer()->mutable_message() = *ref;
      item.mutable_forget_answer()->set_forgotten(true);
      conversation_.EnqueueItem(std::move(item), 0);
    } else {
      Erase(entry, HistoryEntry::ASKED);
      *item.mutable_forget()->mutable_message() = *ref;
      conversation_.EnqueueItem(std::move(item), 0);
    }
  }
  PublishChanged(entry);
  control::ForgetReply reply;
  *reply.mutable_message() = MessageView(entry, false);
  return reply;
}

void SharedMemories::Erase(HistoryEntry& entry, HistoryEntry::ForgetState state, bool compact) {
  if (entry.pinned()) commit_.batch().Delete(PinKey(entry.id()));
  conversation_.Erase(entry, state, compact);
}

Result<uint64_t> SharedMemories::ForgetEverything(uint64_t from_id) {
  uint64_t forgotten = 0;
  uint64_t last = conversation_.last_history_id();
  for (uint64_t id = from_id; id <= last; ++id) {
    auto entry = conversation_.Entry(id);
    if (!entry.ok()) {
      if (entry.status().code() == Code::kNotFound) continue;
      return entry.status();
    }
    // Still sealed or scheduled: the envelope logic owns it until it opens or
    // is withdrawn (an unpair withdraws it first).
    if (IsPending(*entry)) continue;
    if (entry->forget() == HistoryEntry::FORGOTTEN_BOTH ||
        entry->forget() == HistoryEntry::FORGOTTEN) {
      continue;
    }
    Erase(*entry, HistoryEntry::FORGOTTEN, /*compact=*/false);
    if (++forgotten % kForgetChunk == 0) {
      commit_.FlushNow();
      INMOST_RETURN_IF_ERROR(conversation_.Ready());
    }
  }
  forget_all_asked_ = 0;
  commit_.batch().Delete(kForgetAllKey);
  commit_.FlushNow();
  INMOST_RETURN_IF_ERROR(conversation_.Ready());
  INMOST_RETURN_IF_ERROR(conversation_.CompactHistory());
  log_.Info("forgot the whole history: " + std::to_string(forgotten) + " entries");
  return forgotten;
}

void SharedMemories::AskToForgetEverything() {
  peer::Deliver item;
  item.mutable_forget()->set_all(true);
  conversation_.EnqueueItem(std::move(item), 0);
}

void SharedMemories::OnForgetAll() {
  if (boundaries_.honour_forget()) {
    // Not inside the batch that stores the request: forgetting writes batches of
    // its own.
    boost::asio::post(io_, [this] {
      if (!conversation_.Ready().ok()) return;  // The request is not acknowledged: re-sent.
      // What we said with this partner: a former partner's history is not theirs.
      auto forgotten = ForgetEverything(conversation_.partner_first_history_id());
      if (!forgotten.ok()) {
        log_.Error("could not forget the history: " + forgotten.status().ToString());
      }
    });
    return;
  }
  forget_all_asked_ = clock_.NowUnixMs();
  records::ForgetAllAsked asked;
  asked.set_asked_at_unix_ms(forget_all_asked_);
  commit_.batch().Put(kForgetAllKey, crypto::AsBytes(asked.SerializeAsString()));
  log_.Info("the partner asks to forget your whole history; kept, as honour-forget is off");
}

void SharedMemories::OnForget(const peer::Forget& forget) {
  if (forget.all()) {
    OnForgetAll();
    return;
  }
  auto entry = conversation_.Resolve(forget.message());
  // Our answer names the message as we would send it: the other author's view.
  peer::MessageRef ref = forget.message();
  ref.set_by_sender(!ref.by_sender());
  bool forgotten = true;
  if (entry.ok()) {
    if (IsForgotten(*entry)) {
      if (entry->forget() == HistoryEntry::ASKED) {
        // Both asked at once: each side's request answers the other's.
        entry->set_forget(HistoryEntry::FORGOTTEN_BOTH);
        conversation_.PutEntry(*entry);
        PublishChanged(*entry);
      }
    } else if (boundaries_.honour_forget()) {
      Erase(*entry, HistoryEntry::FORGOTTEN_BOTH);
      PublishChanged(*entry);
      log_.Info("forgot message " + conversation_.Describe(entry->id()) + " as the partner asked");
    } else {
      entry->set_forget(HistoryEntry::PARTNER_ASKS);
      conversation_.PutEntry(*entry);
      PublishChanged(*entry);
      return;  // The person answers (forget or keep).
    }
  }
  peer::Deliver item;
  *item.mutable_forget_answer()->mutable_message() = ref;
  item.mutable_forget_answer()->set_forgotten(forgotten);
  conversation_.EnqueueItem(std::move(item), 0);
}

void SharedMemories::OnForgetAnswer(const peer::ForgetAnswer& answer) {
  auto entry = conversation_.Resolve(answer.message());
  if (!entry.ok() || entry->forget() != HistoryEntry::ASKED) return;
  entry->set_forget(answer.forgotten() ? HistoryEntry::FORGOTTEN_BOTH : HistoryEntry::PARTNER_KEPT);
  conversation_.PutEntry(*entry);
  PublishChanged(*entry);
}

// ---- the partner's items ----------------------------------------------------------------------

void SharedMemories::OnItem(const peer::Deliver& item) {
  switch (item.item_case()) {
    case peer::Deliver::kReaction:
      OnReaction(item.reaction());
      break;
    case peer::Deliver::kPin:
      OnPin(item.pin());
      break;
    case peer::Deliver::kForget:
      OnForget(item.forget());
      break;
    case peer::Deliver::kForgetAnswer:
      OnForgetAnswer(item.forget_answer());
      break;
    default:
      break;  // Not ours.
  }
}

void SharedMemories::PublishChanged(const HistoryEntry& entry) {
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  *event.mutable_changed()->mutable_message() = MessageView(entry, false);
  conversation_.PublishWhenWritten(std::move(event));
}

}  // namespace inmost::core
