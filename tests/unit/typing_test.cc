// Typing across a pair with no sockets, on the fake clock (test_typing_drafts.py end
// to end): one signal every 3 s at most while typing goes on and a stop at once;
// nothing while hidden, not sharing or with the link down; the partner's "writing…"
// shown only while we share ours, until it expires, stops or the link goes down.
#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Result<control::TypingReply> Type(CoreSide& side, bool stopped = false) {
  control::Request request;
  request.mutable_typing()->set_stopped(stopped);
  auto told = side.Call(request);
  if (!told.ok()) return told.status();
  return told->typing();
}

Result<control::Response> Presence(CoreSide& side, control::Presence::Choice choice) {
  control::Request request;
  request.mutable_presence()->set_choice(choice);
  return side.Call(request);
}

class TypingTest : public CorePairTest {
 protected:
  void SetUp() override {
    CorePairTest::SetUp();
    a().channel().Take();
    b().TakeEvents();
  }
  // The Typing messages `side` sent since the last call (true: a stop).
  std::vector<bool> Sent(CoreSide& side) {
    std::vector<bool> stops;
    for (const auto& message : side.channel().Take()) {
      if (message.has_typing()) stops.push_back(message.typing().stopped());
    }
    return stops;
  }
  // Hands what a sent to b, and returns the PartnerTyping events b published.
  std::vector<control::PartnerTyping> ShownOnB() {
    for (const auto& message : a().channel().Take()) b().Receive(message);
    std::vector<control::PartnerTyping> shown;
    for (const auto& event : b().TakeEvents()) {
      if (event.has_partner_typing()) shown.push_back(event.partner_typing());
    }
    return shown;
  }
  // Takes what `side` sent and hands it to the other side (a setting told, say).
  void Tell(CoreSide& side) {
    for (const auto& message : side.channel().Take()) pair_.other(side).Receive(message);
  }
};

TEST_F(TypingTest, OneSignalEveryThreeSecondsWhileTypingGoesOn) {
  auto first = Type(a());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->told());
  EXPECT_EQ(Sent(a()), std::vector<bool>{false});

  pair_.Advance(milliseconds(2999));
  auto again = Type(a());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->told());  // The first still shows on the partner's side.
  EXPECT_TRUE(Sent(a()).empty());

  pair_.Advance(milliseconds(1));
  auto later = Type(a());
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->told());
  EXPECT_EQ(Sent(a()), std::vector<bool>{false});
}

TEST_F(TypingTest, AStopGoesAtOnceAndOnlyAfterAWritingSignal) {
  auto stop_first = Type(a(), true);
  ASSERT_TRUE(stop_first.ok());
  EXPECT_FALSE(stop_first->told());  // Nothing was shown: nothing to stop.
  ASSERT_TRUE(Type(a()).ok());
  auto stop = Type(a(), true);
  ASSERT_TRUE(stop.ok());
  EXPECT_TRUE(stop->told());
  EXPECT_EQ(Sent(a()), (std::vector<bool>{false, true}));
  // After a stop (the text was sent), new writing is told at once.
  auto writing = Type(a());
  ASSERT_TRUE(writing.ok());
  EXPECT_TRUE(writing->told());
  EXPECT_EQ(Sent(a()), std::vector<bool>{false});
}

TEST_F(TypingTest, NothingGoesWhileHiddenOrNotSharingOrTheLinkIsDown) {
  ASSERT_TRUE(Presence(a(), control::Presence::HIDDEN).ok());
  a().channel().Take();  // The presence it announced.
  auto hidden = Type(a());
  ASSERT_TRUE(hidden.ok());
  EXPECT_FALSE(hidden->told());
  EXPECT_TRUE(Sent(a()).empty());

  ASSERT_TRUE(Presence(a(), control::Presence::HERE).ok());
  ASSERT_TRUE(Config(a(), "share-typing", "off").ok());
  a().channel().Take();
  auto not_shared = Type(a());
  ASSERT_TRUE(not_shared.ok());
  EXPECT_FALSE(not_shared->told());
  EXPECT_TRUE(Sent(a()).empty());

  ASSERT_TRUE(Config(a(), "share-typing", "on").ok());
  pair_.LinkDown();
  auto down = Type(a());
  ASSERT_TRUE(down.ok());
  EXPECT_FALSE(down->told());
  EXPECT_EQ(a().channel().refused(), 0);  // Never even tried: nothing waits for the link.
}

TEST_F(TypingTest, ThePartnersWritingShowsForSixSecondsAfterEachSignal) {
  ASSERT_TRUE(Type(a()).ok());
  int64_t now = pair_.clock().NowUnixMs();
  auto shown = ShownOnB();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_TRUE(shown[0].typing());
  EXPECT_EQ(shown[0].until_unix_ms(), now + 6000);

  pair_.Advance(seconds(3));
  ASSERT_TRUE(Type(a()).ok());
  shown = ShownOnB();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0].until_unix_ms(), now + 9000);  // Told again: it lasts longer.

  ASSERT_TRUE(Type(a(), true).ok());
  shown = ShownOnB();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_FALSE(shown[0].typing());
  EXPECT_EQ(shown[0].until_unix_ms(), 0);
}

TEST_F(TypingTest, TheLinkGoingDownEndsAWritingStillShownAndOnlyThat) {
  ASSERT_TRUE(Type(a()).ok());
  ASSERT_EQ(ShownOnB().size(), 1u);
  pair_.LinkDown();
  auto shown = ShownOnB();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_FALSE(shown[0].typing());

  // Expired already: the clients have stopped showing it, nothing more is said.
  pair_.LinkUp();
  a().channel().Take();
  b().TakeEvents();
  ASSERT_TRUE(Type(a()).ok());
  ASSERT_EQ(ShownOnB().size(), 1u);
  pair_.Advance(seconds(7));
  pair_.LinkDown();
  EXPECT_TRUE(ShownOnB().empty());
}

TEST_F(TypingTest, WeSeeThePartnersWritingOnlyWhileWeShareOurs) {
  ASSERT_TRUE(Config(b(), "share-typing", "off").ok());
  b().TakeEvents();
  ASSERT_TRUE(Type(a()).ok());  // a shares, so a tells; b's daemon drops it.
  EXPECT_TRUE(ShownOnB().empty());

  ASSERT_TRUE(Config(b(), "share-typing", "on").ok());
  ASSERT_TRUE(Presence(b(), control::Presence::HIDDEN).ok());
  b().TakeEvents();
  pair_.Advance(seconds(3));
  ASSERT_TRUE(Type(a()).ok());
  EXPECT_TRUE(ShownOnB().empty());  // Hidden sees nothing of the partner.

  ASSERT_TRUE(Presence(b(), control::Presence::HERE).ok());
  b().TakeEvents();
  pair_.Advance(seconds(3));
  ASSERT_TRUE(Type(a()).ok());
  ASSERT_EQ(ShownOnB().size(), 1u);
}

TEST_F(TypingTest, TurningSharingOffEndsThePartnersWritingShownNow) {
  ASSERT_TRUE(Type(a()).ok());
  ASSERT_EQ(ShownOnB().size(), 1u);
  ASSERT_TRUE(Config(b(), "share-typing", "off").ok());
  auto shown = ShownOnB();
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_FALSE(shown[0].typing());
}

TEST_F(TypingTest, ShareTypingIsASettingOnByDefault) {
  auto shown = Config(a(), "share-typing", "");
  ASSERT_TRUE(shown.ok()) << shown.status().ToString();
  ASSERT_EQ(shown->config().settings_size(), 1);
  EXPECT_EQ(shown->config().settings(0).value(), "on");
  EXPECT_EQ(Config(a(), "share-typing", "maybe").status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(Config(a(), "share-typing", "off").ok());
  ASSERT_TRUE(a().Restart().ok());
  auto kept = Config(a(), "share-typing", "");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->config().settings(0).value(), "off");
}

}  // namespace
}  // namespace inmost::test
