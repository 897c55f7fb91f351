// What `inmost chat` has shown of the conversation: every message by id with the
// view last shown, and the run of nudges the last one joined. It decides "new",
// "changed" or "already shown" by id alone, never by comparing ids, since ids need
// not grow in display order. It shows nothing itself.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "proto/control.pb.h"

namespace inmost::cli {

class ChatTranscript {
 public:
  enum class Seen { kNew, kChanged, kSame };

  // Records `message` as shown and says whether it is new, changed since it was last
  // shown (delivery and read states and a file's progress aside: those have their
  // own events), or the same.
  Seen Record(const control::Message& message);
  // The message last recorded with this id, or null.
  control::Message* Find(uint64_t id);
  // Your messages shown and not yet read that a read receipt "up to `up_to_id`"
  // covers (the daemon's own rule).
  std::vector<control::Message*> OutgoingUnreadUpTo(uint64_t up_to_id);

  // The line a nudge joins: the id of the run's line and the run's count with it.
  struct NudgeRun {
    uint64_t line_id = 0;
    uint32_t count = 0;
  };
  // Adds `nudge` to the current run if it is the same kind from the same side and
  // nothing else was shown since; nullopt when it must start a run of its own.
  std::optional<NudgeRun> JoinNudgeRun(const control::Message& nudge);
  // Starts a run with `nudge`, shown as the line `nudge.id()`.
  void StartNudgeRun(const control::Message& nudge);
  // Something else was shown: the next nudge starts a new line.
  void EndNudgeRun() { run_.reset(); }

 private:
  struct Run {
    uint64_t line_id;
    control::Message::Direction direction;
    control::Nudge::Kind kind;
    uint32_t count;
  };

  std::unordered_map<uint64_t, control::Message> shown_;
  std::optional<Run> run_;
};

}  // namespace inmost::cli
