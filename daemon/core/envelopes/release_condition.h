// When the sender's daemon releases an envelope's content key: the one rule for
// every kind of envelope, as a pure function of the envelope and what the daemon
// knows now. It decides only; Envelopes (envelopes.h) acts.
#pragma once

#include <cstdint>
#include <optional>

#include "proto/records.pb.h"

namespace inmost::core {

// What the sender's daemon knows at the moment of deciding.
struct ReleaseContext {
  int64_t now_unix_ms = 0;        // The sender's clock: it alone decides sealed times.
  bool partner_answered = false;  // ANSWER: the partner's answer to the same question is here.
  bool open_requested = false;    // GENTLE: the recipient asked for the key.
  bool both_present = false;      // TOGETHER: both present, over a live link.
};

// True when the key of `envelope` (still withheld) must be released now.
bool ReleaseDue(const records::EnvelopeRecord& envelope, const ReleaseContext& context);

// When `envelope` falls due by time alone (SEALED), else nullopt.
std::optional<int64_t> ReleaseTime(const records::EnvelopeRecord& envelope);

}  // namespace inmost::core
