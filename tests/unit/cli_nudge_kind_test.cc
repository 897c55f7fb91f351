// The names of nudge kinds as typed on the command line and as shown.
#include <gtest/gtest.h>

#include "cli/nudge_kind.h"

namespace inmost::cli {
namespace {

using control::Nudge;

TEST(CliNudgeKind, EveryNameParsesAndRoundTrips) {
  const std::pair<const char*, Nudge::Kind> kKinds[] = {
      {"thinking-of-you", Nudge::THINKING_OF_YOU},
      {"hug", Nudge::HUG},
      {"kiss", Nudge::KISS},
      {"laugh", Nudge::LAUGH},
      {"missing-you", Nudge::MISSING_YOU},
      {"goodnight", Nudge::GOODNIGHT},
  };
  for (const auto& [name, kind] : kKinds) {
    Result<Nudge::Kind> parsed = ParseNudgeKind(name);
    ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, kind) << name;
    EXPECT_EQ(NudgeKindName(kind), name);
  }
  EXPECT_EQ(NudgeKindNames(), "thinking-of-you, hug, kiss, laugh, missing-you, goodnight");
}

TEST(CliNudgeKind, UnknownNamesAreRefusedWithTheList) {
  for (const char* bad : {"", "Hug", "hugs", "thinking of you", "thinking_of_you", "HUG", "wave"}) {
    Result<Nudge::Kind> parsed = ParseNudgeKind(bad);
    ASSERT_FALSE(parsed.ok()) << "'" << bad << "'";
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("missing-you, goodnight"), std::string::npos)
        << parsed.status().message();
  }
  EXPECT_NE(ParseNudgeKind("wave").status().message().find("unknown nudge 'wave'"),
            std::string::npos);
}

TEST(CliNudgeKind, Labels) {
  Nudge nudge;
  nudge.set_kind(Nudge::HUG);
  EXPECT_EQ(NudgeLabel(nudge), "(hug)");
  nudge.set_count(1);
  EXPECT_EQ(NudgeLabel(nudge), "(hug)");
  nudge.set_count(3);
  EXPECT_EQ(NudgeLabel(nudge), "(hug ×3)");
  nudge.set_kind(Nudge::MISSING_YOU);
  nudge.set_count(0);
  EXPECT_EQ(NudgeLabel(nudge), "(missing you)");
  nudge.set_kind(Nudge::THINKING_OF_YOU);
  EXPECT_EQ(NudgeLabel(nudge), "(thinking of you)");
  // A kind from a newer schema still reads as a nudge.
  nudge.set_kind(static_cast<Nudge::Kind>(99));
  EXPECT_EQ(NudgeLabel(nudge), "(nudge)");
  EXPECT_EQ(NudgeKindName(nudge.kind()), "nudge");
}

}  // namespace
}  // namespace inmost::cli
