#include "daemon/core/envelopes/release_condition.h"

#include <gtest/gtest.h>

namespace inmost::core {
namespace {

using records::EnvelopeRecord;

EnvelopeRecord Withheld(EnvelopeRecord::Kind kind) {
  EnvelopeRecord e;
  e.set_kind(kind);
  e.set_state(EnvelopeRecord::WITHHELD);
  return e;
}

TEST(ReleaseCondition, SealedOpensAtItsTimeOnTheSendersClock) {
  EnvelopeRecord e = Withheld(EnvelopeRecord::SEALED);
  e.set_open_at_unix_ms(1000);
  ReleaseContext context;
  context.now_unix_ms = 999;
  EXPECT_FALSE(ReleaseDue(e, context));
  context.now_unix_ms = 1000;
  EXPECT_TRUE(ReleaseDue(e, context));
  EXPECT_EQ(ReleaseTime(e), 1000);
}

TEST(ReleaseCondition, EachKindWaitsForItsOwnCondition) {
  ReleaseContext nothing;
  nothing.now_unix_ms = INT64_MAX;  // Time alone opens only sealed envelopes.
  EXPECT_FALSE(ReleaseDue(Withheld(EnvelopeRecord::ANSWER), nothing));
  EXPECT_FALSE(ReleaseDue(Withheld(EnvelopeRecord::GENTLE), nothing));
  EXPECT_FALSE(ReleaseDue(Withheld(EnvelopeRecord::TOGETHER), nothing));

  ReleaseContext answered;
  answered.partner_answered = true;
  EXPECT_TRUE(ReleaseDue(Withheld(EnvelopeRecord::ANSWER), answered));
  EXPECT_FALSE(ReleaseDue(Withheld(EnvelopeRecord::GENTLE), answered));

  ReleaseContext asked;
  asked.open_requested = true;
  EXPECT_TRUE(ReleaseDue(Withheld(EnvelopeRecord::GENTLE), asked));
  EXPECT_FALSE(ReleaseDue(Withheld(EnvelopeRecord::TOGETHER), asked));

  ReleaseContext together;
  together.both_present = true;
  EXPECT_TRUE(ReleaseDue(Withheld(EnvelopeRecord::TOGETHER), together));
  EXPECT_FALSE(ReleaseDue(Withheld(EnvelopeRecord::ANSWER), together));
  EXPECT_FALSE(ReleaseTime(Withheld(EnvelopeRecord::TOGETHER)).has_value());
}

TEST(ReleaseCondition, NothingButAWithheldEnvelopeIsReleased) {
  ReleaseContext all;
  all.now_unix_ms = INT64_MAX;
  all.partner_answered = all.open_requested = all.both_present = true;
  for (auto state : {EnvelopeRecord::RELEASED, EnvelopeRecord::OPENED, EnvelopeRecord::WITHDRAWN,
                     EnvelopeRecord::MISMATCH}) {
    EnvelopeRecord e = Withheld(EnvelopeRecord::SEALED);
    e.set_state(state);
    EXPECT_FALSE(ReleaseDue(e, all));
    EXPECT_FALSE(ReleaseTime(e).has_value());
  }
  EXPECT_FALSE(ReleaseDue(Withheld(EnvelopeRecord::KIND_UNSPECIFIED), all));
}

}  // namespace
}  // namespace inmost::core
