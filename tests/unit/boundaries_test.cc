// Boundaries across a pair with no sockets (test_closeness.py end to end): what
// each shows the other (presence, last seen, reciprocity), their settings told at
// link up and on each change, and quiet: announcements held (never storage), urgent
// ones let through, a summary after, to the millisecond the quiet ends.
#include <gtest/gtest.h>

#include <cstdio>

#include "daemon/codec/core/quiet_window.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Message;
using control::Presence;
using std::chrono::milliseconds;
using std::chrono::minutes;

Result<control::Response> Choose(CoreSide& side, Presence::Choice choice) {
  control::Request request;
  request.mutable_presence()->set_choice(choice);
  return side.Call(request);
}

Result<control::Response> Quiet(CoreSide& side, uint64_t seconds, bool end = false) {
  control::Request request;
  request.mutable_quiet()->set_for_seconds(seconds);
  request.mutable_quiet()->set_end(end);
  return side.Call(request);
}

// Texts announced to `side`'s subscribers since the last call, and the summaries.
struct Announced {
  std::vector<std::string> texts;
  std::vector<control::QuietSummary> summaries;
};
Announced TakeAnnounced(CoreSide& side) {
  Announced announced;
  for (const auto& e : side.TakeEvents()) {
    if (e.has_message_received()) announced.texts.push_back(e.message_received().message().text());
    if (e.has_quiet_summary()) announced.summaries.push_back(e.quiet_summary());
  }
  return announced;
}

class BoundariesTest : public CorePairTest {
 protected:
  void Send(CoreSide& side, const std::string& text, bool urgent = false) {
    control::SendRequest send;
    send.set_text(text);
    send.set_urgent(urgent);
    ASSERT_TRUE(side.Send(send).ok());
  }
};

TEST_F(BoundariesTest, EachSideKnowsTheOthersBoundariesFromTheLinkUpAndEachChange) {
  control::PartnerView seen = a()->boundaries.PartnerView();
  EXPECT_TRUE(seen.known());
  EXPECT_TRUE(seen.read_receipts());
  EXPECT_EQ(seen.nudge_budget_per_hour(), core::kDefaultNudgeBudget);
  ASSERT_TRUE(Config(b(), "honour-forget", "on").ok());
  ASSERT_TRUE(Config(b(), "read-receipts", "off").ok());
  pair_.Settle();
  seen = a()->boundaries.PartnerView();
  EXPECT_TRUE(seen.honour_forget());
  EXPECT_FALSE(seen.read_receipts());
  // Kept over a restart on both sides.
  pair_.LinkDown();
  ASSERT_TRUE(a().Restart().ok());
  ASSERT_TRUE(b().Restart().ok());
  EXPECT_TRUE(a()->boundaries.PartnerView().honour_forget());
  EXPECT_TRUE(b()->boundaries.honour_forget());
  EXPECT_EQ(Config(b(), "bogus", "1").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Config(b(), "nudge-budget", "-1").status().code(), Code::kInvalidArgument);
}

TEST_F(BoundariesTest, PresenceChoicesAreShownWithReciprocity) {
  b().SetPresent(true);
  pair_.Settle();
  control::PartnerView seen = a()->boundaries.PartnerView();
  EXPECT_EQ(seen.choice(), Presence::HERE);
  EXPECT_TRUE(seen.present());
  EXPECT_TRUE(a()->envelopes.partner_present());

  ASSERT_TRUE(Choose(b(), Presence::AWAY).ok());
  pair_.Settle();
  EXPECT_EQ(a()->boundaries.PartnerView().choice(), Presence::AWAY);

  // Hidden shares nothing, not even presence.
  ASSERT_TRUE(Choose(b(), Presence::HIDDEN).ok());
  pair_.Settle();
  seen = a()->boundaries.PartnerView();
  EXPECT_EQ(seen.choice(), Presence::CHOICE_UNSPECIFIED);
  EXPECT_FALSE(seen.present());
  EXPECT_FALSE(a()->envelopes.partner_present());

  // Whoever hides sees nothing of the other either.
  ASSERT_TRUE(Choose(b(), Presence::HERE).ok());
  ASSERT_TRUE(Choose(a(), Presence::HIDDEN).ok());
  pair_.Settle();
  EXPECT_EQ(a()->boundaries.PartnerView().choice(), Presence::CHOICE_UNSPECIFIED);
  EXPECT_EQ(b()->boundaries.PartnerView().choice(), Presence::CHOICE_UNSPECIFIED);
}

TEST_F(BoundariesTest, ChoosingQuietIsNotQuietHours) {
  // "quiet" as a presence shows as the choice; the quiet flag means quiet time
  // (quiet hours or `inmost quiet`), which nobody set here.
  ASSERT_TRUE(Choose(b(), Presence::QUIET).ok());
  pair_.Settle();
  control::PartnerView seen = a()->boundaries.PartnerView();
  EXPECT_EQ(seen.choice(), Presence::QUIET);
  EXPECT_FALSE(seen.quiet());
  // Quiet time does show, whatever the choice.
  ASSERT_TRUE(Choose(b(), Presence::HERE).ok());
  ASSERT_TRUE(Quiet(b(), 600).ok());
  pair_.Settle();
  seen = a()->boundaries.PartnerView();
  EXPECT_EQ(seen.choice(), Presence::HERE);
  EXPECT_TRUE(seen.quiet());
}

TEST_F(BoundariesTest, LastSeenOnlyWhileBothShareIt) {
  b().SetPresent(true);
  pair_.Settle();
  EXPECT_EQ(a()->boundaries.PartnerView().last_seen_unix_ms(), 0);
  ASSERT_TRUE(Config(b(), "share-last-seen", "on").ok());
  pair_.Settle();
  EXPECT_EQ(a()->boundaries.PartnerView().last_seen_unix_ms(), 0);  // a does not share.
  ASSERT_TRUE(Config(a(), "share-last-seen", "on").ok());
  pair_.Settle();
  EXPECT_EQ(a()->boundaries.PartnerView().last_seen_unix_ms(), pair_.clock().NowUnixMs());
  // The link goes: the partner is no longer present, last seen stays.
  pair_.LinkDown();
  EXPECT_FALSE(a()->boundaries.PartnerView().present());
}

TEST_F(BoundariesTest, QuietHoldsAnnouncementsNotStorageAndEndsOnTheMillisecond) {
  const int64_t start = pair_.clock().NowUnixMs();
  auto quiet = Quiet(b(), 3600);
  ASSERT_TRUE(quiet.ok());
  EXPECT_TRUE(quiet->quiet().quiet());
  EXPECT_EQ(quiet->quiet().quiet_until_unix_ms(), start + 3'600'000);
  b().TakeEvents();
  Send(a(), "held");
  Send(a(), "urgent", /*urgent=*/true);
  pair_.Settle();
  Announced announced = TakeAnnounced(b());
  EXPECT_EQ(announced.texts, std::vector<std::string>{"urgent"});
  EXPECT_EQ(b().Texts(Message::INCOMING), (std::vector<std::string>{"held", "urgent"}));

  pair_.Advance(std::chrono::hours(1) - milliseconds(1));
  EXPECT_TRUE(b()->boundaries.QuietNow());
  EXPECT_EQ(b()->boundaries.QuietUntil(), start + 3'600'000);
  pair_.Advance(milliseconds(1));
  EXPECT_FALSE(b()->boundaries.QuietNow());
  EXPECT_EQ(b()->boundaries.QuietUntil(), 0);
}

TEST_F(BoundariesTest, EndingQuietSummarisesWhatWasHeld) {
  ASSERT_TRUE(Quiet(b(), 600).ok());
  b().TakeEvents();
  Send(a(), "one");
  Send(a(), "two");
  control::Request nudge;
  nudge.mutable_nudge();
  ASSERT_TRUE(a().Call(nudge).ok());
  pair_.Settle();
  EXPECT_TRUE(TakeAnnounced(b()).texts.empty());
  ASSERT_TRUE(Quiet(b(), 0, /*end=*/true).ok());
  Announced after = TakeAnnounced(b());
  ASSERT_EQ(after.summaries.size(), 1u);
  EXPECT_EQ(after.summaries[0].messages(), 2u);
  EXPECT_EQ(after.summaries[0].nudges(), 1u);
  EXPECT_EQ(after.summaries[0].first_id(), All(b(), Message::INCOMING, Message::TEXT)[0].id());
  // The partner sees the quiet, and its end.
  pair_.Settle();
  EXPECT_FALSE(a()->boundaries.PartnerView().quiet());
  EXPECT_EQ(Quiet(b(), 8 * 24 * 3600).status().code(), Code::kInvalidArgument);
}

TEST_F(BoundariesTest, DailyQuietHoursBeginAndEndOnTheirMinute) {
  // A window from the next minute, local time, for two minutes.
  const int64_t now = pair_.clock().NowUnixMs();
  uint32_t minute = core::LocalMinuteOfDay(now);
  auto hhmm = [](uint32_t m) {
    m %= 24 * 60;
    char text[6];
    std::snprintf(text, sizeof text, "%02u:%02u", m / 60, m % 60);
    return std::string(text);
  };
  ASSERT_TRUE(Config(b(), "quiet-hours", hhmm(minute + 1) + "-" + hhmm(minute + 3)).ok());
  EXPECT_FALSE(b()->boundaries.QuietNow());
  const int64_t next_minute = now - now % 60000 + 60000;
  pair_.Advance(milliseconds(next_minute - now - 1));
  EXPECT_FALSE(b()->boundaries.QuietNow());
  pair_.Advance(milliseconds(1));
  EXPECT_TRUE(b()->boundaries.QuietNow());
  EXPECT_EQ(b()->boundaries.QuietUntil(), next_minute + 120'000);
  // Quiet hours cannot be ended early, only turned off.
  EXPECT_EQ(Quiet(b(), 0, true).status().code(), Code::kFailedPrecondition);
  pair_.Advance(minutes(2) - milliseconds(1));
  EXPECT_TRUE(b()->boundaries.QuietNow());
  pair_.Advance(milliseconds(1));
  EXPECT_FALSE(b()->boundaries.QuietNow());
}

TEST_F(BoundariesTest, ASettingThatCannotBeWrittenIsNotInEffect) {
  {
    DiskLimit full;
    EXPECT_FALSE(Config(b(), "nudge-budget", "3").ok());
  }
  // The refused change neither shows nor applies, before or after a restart.
  auto shown = Config(b(), "nudge-budget", "");
  ASSERT_TRUE(shown.ok());
  ASSERT_EQ(shown->config().settings_size(), 1);
  EXPECT_EQ(shown->config().settings(0).value(), std::to_string(core::kDefaultNudgeBudget));
  EXPECT_EQ(b()->boundaries.nudge_budget(), core::kDefaultNudgeBudget);
  ASSERT_TRUE(b().Restart().ok());
  EXPECT_EQ(b()->boundaries.nudge_budget(), core::kDefaultNudgeBudget);
}

}  // namespace
}  // namespace inmost::test
