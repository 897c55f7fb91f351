// What leaves when its time comes (envelopes.h): an envelope's content key once
// its release condition (release_condition.h) holds, and a scheduled message at
// its time, woken by one timer. A key leaves only through here.
#include <algorithm>
#include <chrono>

#include "daemon/core/envelopes/envelope_records.h"
#include "daemon/core/envelopes/envelopes.h"
#include "daemon/core/envelopes/release_condition.h"
#include "daemon/crypto/bytes.h"

namespace inmost::core {
namespace {

using records::EnvelopeRecord;
using records::HistoryEntry;

// The longest the release timer sleeps: a wall clock that jumps (a suspended
// laptop, a corrected clock) is noticed within this.
constexpr auto kMaxTimerWait = std::chrono::seconds(30);
// How soon a release is tried again while the store cannot be written.
constexpr auto kStoreRetryWait = std::chrono::seconds(1);

}  // namespace

Result<control::SendReply> Envelopes::Schedule(const control::SendRequest& request) {
  if (!request.note().empty()) return InvalidArgument("a scheduled message has no note");
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::OUTGOING);
  entry.set_state(HistoryEntry::SCHEDULED);
  entry.set_text(request.text());
  entry.set_send_at_unix_ms(request.send_at_unix_ms());
  entry.set_written_at_unix_ms(clock_.NowUnixMs());
  Save(entry);
  ReleaseWhatIsDue();  // A time already past sends at once.
  control::SendReply reply;
  reply.set_id(entry.id());
  return reply;
}

void Envelopes::Release(HistoryEntry& entry) {
  const bool answer = entry.envelope().kind() == EnvelopeRecord::ANSWER;
  const bool again = answer && entry.envelope().state() == EnvelopeRecord::RELEASED;
  if (entry.envelope().state() != EnvelopeRecord::WITHHELD && !again) return;
  const std::string& envelope_id = entry.envelope().envelope_id();
  Result<crypto::SecretBytes> key = NotFound("no key");
  if (auto unwritten = unwritten_keys_.find(envelope_id); unwritten != unwritten_keys_.end()) {
    key = crypto::SecretBytes::CopyOf(unwritten->second.span());
  } else {
    key = store_.GetSecret(KeyFor(kContentKeyPrefix, envelope_id));
  }
  if (!key.ok()) {
    log_.Error("cannot release envelope " + conversation_.Describe(entry.id()) +
               ": its key is unreadable: " + key.status().ToString());
    return;
  }
  peer::Deliver item;
  item.mutable_key_release()->set_envelope_id(envelope_id);
  item.mutable_key_release()->set_key(crypto::ToString(key->span()));
  conversation_.EnqueueItem(std::move(item), 0);
  if (again) return;
  // An answer's key stays until the partner has opened it: a partner who withdrew
  // their own answer as ours was released does not open ours, and gets the key
  // again when they answer anew. Other keys live only in the outbox from here; no
  // longer a secret from the partner, their old copies need no compaction.
  if (!answer) ForgetKey(envelope_id);
  entry.mutable_envelope()->set_state(EnvelopeRecord::RELEASED);
  Save(entry);
  PublishChanged(entry);
  log_.Info("released the key of envelope " + conversation_.Describe(entry.id()));
}

void Envelopes::ReleaseWhatIsDue() {
  if (stopped_) return;
  if (!conversation_.Ready().ok()) {
    ArmTimer(kStoreRetryWait);  // The store is failing: try again later.
    return;
  }
  ReleaseContext context;
  context.now_unix_ms = clock_.NowUnixMs();
  context.both_present = present_ && partner_present_ && channel_.IsUp();
  std::vector<uint64_t> due;
  for (const auto& [id, entry] : pending_) {
    if (!IsOutgoing(entry)) continue;
    if (entry.state() == HistoryEntry::SCHEDULED) {
      if (context.now_unix_ms >= entry.send_at_unix_ms()) due.push_back(id);
      continue;
    }
    if (!entry.has_envelope()) continue;
    ReleaseContext for_entry = context;
    if (entry.envelope().kind() == EnvelopeRecord::ANSWER) {
      auto question = Lookup(entry.envelope().question_entry_id());
      for_entry.partner_answered = question.ok() && question->question().their_answer_id() != 0;
    }
    if (ReleaseDue(entry.envelope(), for_entry)) due.push_back(id);
  }
  for (uint64_t id : due) {
    auto entry = Lookup(id);
    if (!entry.ok()) {
      log_.Error("pending message " + conversation_.Describe(id) +
                 " is unreadable: " + entry.status().ToString());
      continue;
    }
    if (entry->state() == HistoryEntry::SCHEDULED) {
      entry->set_sent_at_unix_ms(context.now_unix_ms);
      conversation_.EnqueueText(*entry);  // Now PENDING, with a seq: it leaves.
      Save(*entry);
      PublishChanged(*entry);
    } else {
      Release(*entry);
    }
  }
  if (!due.empty()) commit_.AfterSync([](const Status&) {});
  ArmTimer();
}

void Envelopes::ArmTimer(std::chrono::milliseconds at_least) {
  if (stopped_) return;
  std::optional<int64_t> next;
  for (const auto& [id, entry] : pending_) {
    if (!IsOutgoing(entry)) continue;
    std::optional<int64_t> at = entry.state() == HistoryEntry::SCHEDULED
                                    ? std::optional<int64_t>(entry.send_at_unix_ms())
                                    : ReleaseTime(entry.envelope());
    if (at && (!next || *at < *next)) next = at;
  }
  if (!next) {
    timer_.Cancel();
    return;
  }
  auto wait = std::max(at_least,
                       std::chrono::milliseconds(std::max<int64_t>(0, *next - clock_.NowUnixMs())));
  timer_.AsyncWaitFor(std::min<std::chrono::milliseconds>(wait, kMaxTimerWait), [this](bool fired) {
    if (fired) ReleaseWhatIsDue();
  });
}

}  // namespace inmost::core
