#include "daemon/core/envelopes/release_condition.h"

namespace inmost::core {

using records::EnvelopeRecord;

bool ReleaseDue(const EnvelopeRecord& envelope, const ReleaseContext& context) {
  if (envelope.state() != EnvelopeRecord::WITHHELD) return false;
  switch (envelope.kind()) {
    case EnvelopeRecord::SEALED:
      return context.now_unix_ms >= envelope.open_at_unix_ms();
    case EnvelopeRecord::ANSWER:
      return context.partner_answered;
    case EnvelopeRecord::GENTLE:
      return context.open_requested;
    case EnvelopeRecord::TOGETHER:
      return context.both_present;
    default:
      return false;  // A kind this build does not know is never released early.
  }
}

std::optional<int64_t> ReleaseTime(const EnvelopeRecord& envelope) {
  if (envelope.state() != EnvelopeRecord::WITHHELD || envelope.kind() != EnvelopeRecord::SEALED) {
    return std::nullopt;
  }
  return envelope.open_at_unix_ms();
}

}  // namespace inmost::core
