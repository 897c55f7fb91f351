// Fuzzes ParseUtcDate, which reads dates from the control API (`today --date`) and
// from the partner (an answer's question date): it must never crash, and a date it
// accepts must format back to the same text and name a question of the day.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "daemon/codec/core/question_of_the_day.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// A fixed pair (test keys, never used for anything real).
const inmost::core::QuestionOfTheDay& Daily() {
  static const inmost::core::QuestionOfTheDay daily = [] {
    uint8_t own[inmost::crypto::kX25519KeySize];
    uint8_t partner[inmost::crypto::kX25519KeySize];
    for (size_t i = 0; i < sizeof own; ++i) {
      own[i] = static_cast<uint8_t>(1 + i);
      partner[i] = static_cast<uint8_t>(0x41 + i);
    }
    auto identity = inmost::crypto::KeyPair::FromPrivate(std::span<const uint8_t>(own));
    auto other = inmost::crypto::KeyPair::FromPrivate(std::span<const uint8_t>(partner));
    if (!identity.ok() || !other.ok()) std::abort();
    auto pair = inmost::core::QuestionOfTheDay::ForPair(*identity, other->public_key);
    if (!pair.ok()) std::abort();
    return std::move(*pair);
  }();
  return daily;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using inmost::core::FormatUtcDate;
  using inmost::core::ParseUtcDate;

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto day = ParseUtcDate(text);
  if (!day.ok()) {
    Check(day.status().code() == inmost::Code::kInvalidArgument);
    return 0;
  }
  Check(*day >= 0);  // No date before 1970 is accepted.
  Check(FormatUtcDate(*day) == text);
  Check(!Daily().Question(*day).empty());
  Check(Daily().QuestionId(*day).size() == 16);
  return 0;
}
