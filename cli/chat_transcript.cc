// What `inmost chat` has shown, to show each message once and each change once,
// however often the daemon repeats itself or the chat re-reads the history after a
// reconnection.
#include "cli/chat_transcript.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>

namespace inmost::cli {
namespace {

// The part of a message whose change is worth a "changed" line.
control::Message Substance(const control::Message& message) {
  control::Message substance = message;
  substance.clear_state();
  substance.mutable_file()->clear_bytes_done();
  return substance;
}

uint32_t NudgeCount(const control::Message& nudge) {
  return std::max<uint32_t>(1, nudge.nudge().count());
}

}  // namespace

ChatTranscript::Seen ChatTranscript::Record(const control::Message& message) {
  auto [it, added] = shown_.try_emplace(message.id(), message);
  if (added) return Seen::kNew;
  bool same =
      google::protobuf::util::MessageDifferencer::Equals(Substance(it->second), Substance(message));
  it->second = message;
  return same ? Seen::kSame : Seen::kChanged;
}

control::Message* ChatTranscript::Find(uint64_t id) {
  auto it = shown_.find(id);
  return it == shown_.end() ? nullptr : &it->second;
}

std::vector<control::Message*> ChatTranscript::OutgoingUnreadUpTo(uint64_t up_to_id) {
  std::vector<control::Message*> covered;
  for (auto& [id, message] : shown_) {
    if (message.direction() != control::Message::OUTGOING || id > up_to_id) continue;
    if (message.state() == control::Message::PENDING ||
        message.state() == control::Message::DELIVERED) {
      covered.push_back(&message);
    }
  }
  return covered;
}

std::optional<ChatTranscript::NudgeRun> ChatTranscript::JoinNudgeRun(
    const control::Message& nudge) {
  if (!run_ || run_->direction != nudge.direction() || run_->kind != nudge.nudge().kind()) {
    return std::nullopt;
  }
  run_->count += NudgeCount(nudge);
  return NudgeRun{run_->line_id, run_->count};
}

void ChatTranscript::StartNudgeRun(const control::Message& nudge) {
  run_ = Run{nudge.id(), nudge.direction(), nudge.nudge().kind(), NudgeCount(nudge)};
}

}  // namespace inmost::cli
