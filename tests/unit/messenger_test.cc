// What people expect of a messenger, across a pair with no sockets and one fake
// clock (test_messenger.py end to end): replies and what they quote, edits with
// every version kept, view-once messages destroyed on both sides after one view,
// and disappearing messages deleted on both sides a set time after they are opened.
#include <gtest/gtest.h>

#include "daemon/core/api_numbers.h"
#include "daemon/core/message_view.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Message;
using namespace std::chrono_literals;

class MessengerTest : public CorePairTest {
 protected:
  // a sends `text`, b stores it; returns its id on a and on b.
  std::pair<uint64_t, uint64_t> Exchange(const std::string& text) {
    return test::Exchange(pair_, a(), text);
  }
  Result<control::SendReply> Reply(CoreSide& side, uint64_t to, const std::string& text) {
    control::SendRequest send;
    send.set_text(text);
    send.set_reply_to(to);
    return side.Send(send);
  }
  Result<control::Response> Edit(CoreSide& side, uint64_t id, const std::string& text) {
    control::Request request;
    request.mutable_edit()->set_id(id);
    request.mutable_edit()->set_text(text);
    return side.Call(request);
  }
  std::vector<std::string> Versions(CoreSide& side, uint64_t id) {
    control::Request request;
    request.mutable_versions()->set_id(id);
    auto reply = side.Call(request);
    std::vector<std::string> texts;
    if (reply.ok()) {
      for (const auto& v : reply->versions().versions()) texts.push_back(v.text());
    }
    return texts;
  }
  Result<control::Response> View(CoreSide& side, uint64_t id) {
    control::Request request;
    request.mutable_view()->set_id(id);
    return side.Call(request);
  }
  // The quoted line of message `id` on `side`, as the control API shows it.
  std::string Quoted(CoreSide& side, uint64_t id) {
    control::HistoryReply page;
    *page.add_messages() = *side.Message(id);
    core::HistoryIdsToNumbers(side->conversation, page);
    return page.messages(0).quoted();
  }
  // a sends `text` to be viewed once and b stores it: their ids on a and on b.
  std::pair<uint64_t, uint64_t> SendViewOnce(const std::string& text) {
    control::SendRequest send;
    send.set_text(text);
    send.set_view_once(true);
    auto sent = a().Send(send);
    EXPECT_TRUE(sent.ok());
    pair_.Settle();
    auto at_b = Newest(b(), Message::INCOMING, Message::TEXT);
    EXPECT_TRUE(at_b.has_value());
    return {sent.ok() ? sent->id() : 0, at_b ? at_b->id() : 0};
  }
  // The view-once key b holds for its message `id` (empty: none).
  std::string ViewOnceKey(CoreSide& side, uint64_t id) {
    auto entry = side->conversation.Entry(id);
    if (!entry.ok()) return "";
    auto key = side.store().GetSecret("vk/" + entry->view_once().envelope_id());
    if (!key.ok()) return "";
    return std::string(reinterpret_cast<const char*>(key->data()), key->size());
  }
};

// ---- replies ----------------------------------------------------------------------------

TEST_F(MessengerTest, AReplyNamesWhatItAnswersOnBothSidesAndQuotesIt) {
  auto [at_a, at_b] = Exchange("shall we walk by the river?\nor not");
  auto reply = Reply(b(), at_b, "yes, at six");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  pair_.Settle();
  auto at_a_reply = Newest(a(), Message::INCOMING, Message::TEXT);
  ASSERT_TRUE(at_a_reply.has_value());
  EXPECT_EQ(at_a_reply->reply_to(), at_a);
  EXPECT_EQ(b().Message(reply->id())->reply_to(), at_b);
  EXPECT_EQ(Quoted(a(), at_a_reply->id()), "shall we walk by the river?");
  EXPECT_EQ(Quoted(b(), reply->id()), "shall we walk by the river?");
  EXPECT_EQ(Reply(b(), 4242, "to nothing").status().code(), Code::kNotFound);
}

TEST_F(MessengerTest, AReplyToASealedEnvelopeNeverQuotesItsBody) {
  control::SendRequest sealed;
  sealed.set_text("the sealed secret");
  sealed.set_open_at_unix_ms(pair_.clock().NowUnixMs() + 3'600'000);
  ASSERT_TRUE(a().Send(sealed).ok());
  pair_.Settle();
  auto envelope = Newest(b(), Message::INCOMING, Message::ENVELOPE);
  ASSERT_TRUE(envelope.has_value());
  auto reply = Reply(b(), envelope->id(), "I cannot wait");
  ASSERT_TRUE(reply.ok());
  pair_.Settle();
  auto at_a = Newest(a(), Message::INCOMING, Message::TEXT);
  ASSERT_TRUE(at_a.has_value());
  EXPECT_EQ(Quoted(a(), at_a->id()), core::kQuoteSealed);
  EXPECT_EQ(Quoted(b(), reply->id()), core::kQuoteSealed);
}

TEST_F(MessengerTest, AReplyToAMessageTheRecipientForgotQuotesNothingOfIt) {
  auto [at_a, at_b] = Exchange("forget me");
  control::Request forget;
  forget.mutable_forget()->set_id(at_a);
  ASSERT_TRUE(a().Call(forget).ok());
  auto reply = Reply(b(), at_b, "about that");
  ASSERT_TRUE(reply.ok());
  pair_.Settle();
  auto at_a_reply = Newest(a(), Message::INCOMING, Message::TEXT);
  ASSERT_TRUE(at_a_reply.has_value());
  EXPECT_EQ(Quoted(a(), at_a_reply->id()), core::kQuoteGone);
}

// ---- edits ------------------------------------------------------------------------------

TEST_F(MessengerTest, AnEditKeepsEveryVersionOnBothSides) {
  auto [at_a, at_b] = Exchange("see you at 7");
  ASSERT_TRUE(Edit(a(), at_a, "see you at 8").ok());
  pair_.Settle();
  EXPECT_EQ(b().Message(at_b)->text(), "see you at 8");
  EXPECT_TRUE(b().Message(at_b)->edited());
  EXPECT_EQ(Versions(b(), at_b), (std::vector<std::string>{"see you at 7", "see you at 8"}));
  EXPECT_EQ(Versions(a(), at_a), Versions(b(), at_b));
}

TEST_F(MessengerTest, OnlyItsAuthorEditsAMessageAndNeverASealedOne) {
  auto [at_a, at_b] = Exchange("mine");
  EXPECT_EQ(Edit(b(), at_b, "theirs now").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Edit(a(), at_a, "mine").status().code(), Code::kInvalidArgument);  // Unchanged.
  control::SendRequest gentle;
  gentle.set_text("when you are ready");
  gentle.set_gentle(true);
  auto sent = a().Send(gentle);
  ASSERT_TRUE(sent.ok());
  auto refused = Edit(a(), sent->id(), "changed");
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("not opened it yet"), std::string::npos);
}

TEST_F(MessengerTest, AnEditMadeWhileThePartnerIsAwayArrivesOnceAfterACrash) {
  auto [at_a, at_b] = Exchange("first words");
  pair_.LinkDown();
  ASSERT_TRUE(Edit(a(), at_a, "second words").ok());
  ASSERT_TRUE(a().Restart(/*crash=*/true).ok());
  ASSERT_TRUE(b().Restart(/*crash=*/true).ok());
  pair_.LinkUp();
  pair_.LinkDown();
  pair_.LinkUp();  // Sent again: still once.
  EXPECT_EQ(Versions(b(), at_b), (std::vector<std::string>{"first words", "second words"}));
}

// The partner's ack of a message sent before an edit or a withdrawal marks it delivered
// and keeps what they wrote (it once wrote the message back as it was sent).
TEST_F(MessengerTest, AnAckAfterAnEditOrAWithdrawalKeepsWhatTheyWrote) {
  pair_.LinkDown();
  control::SendRequest text;
  text.set_text("see you at 8");
  auto edited = a().Send(text);
  ASSERT_TRUE(edited.ok());
  control::SendRequest sealed;
  sealed.set_text("marker-withdrawn-before-its-ack");
  sealed.set_open_at_unix_ms(pair_.clock().NowUnixMs() + 3'600'000);
  auto withdrawn = a().Send(sealed);
  ASSERT_TRUE(withdrawn.ok());
  ASSERT_TRUE(Edit(a(), edited->id(), "see you at 9").ok());
  control::Request retract;
  retract.mutable_retract()->set_id(withdrawn->id());
  auto retracted = a().Call(retract);
  ASSERT_TRUE(retracted.ok()) << retracted.status().ToString();
  pair_.LinkUp();
  pair_.Settle();
  ASSERT_TRUE(a().Restart(/*crash=*/false).ok());
  EXPECT_EQ(a().Message(edited->id())->state(), Message::DELIVERED);
  EXPECT_EQ(a().Message(edited->id())->text(), "see you at 9");
  EXPECT_EQ(Versions(a(), edited->id()),
            (std::vector<std::string>{"see you at 8", "see you at 9"}));
  EXPECT_EQ(a().Message(withdrawn->id())->state(), Message::DELIVERED);
  EXPECT_EQ(a().Message(withdrawn->id())->envelope().state(), Message::Envelope::WITHDRAWN);
}

TEST_F(MessengerTest, APartnersEditOfOurOwnMessageIsIgnored) {
  auto [at_a, at_b] = Exchange("what a said");
  peer::PeerMessage forged;
  auto* deliver = forged.mutable_deliver();
  deliver->set_seq(1);  // b's first item: b has sent nothing yet.
  deliver->mutable_edit()->mutable_message()->set_by_sender(false);
  deliver->mutable_edit()->mutable_message()->set_seq(a()->conversation.Entry(at_a)->seq());
  deliver->mutable_edit()->set_text("rewritten");
  a().Receive(forged);
  a().RunUntilIdle();
  EXPECT_EQ(a().Message(at_a)->text(), "what a said");
}

// ---- view once --------------------------------------------------------------------------

TEST_F(MessengerTest, AViewOnceMessageOpensOnceAndIsDestroyedOnBothSides) {
  auto [at_a, at_b] = SendViewOnce("marker-view-once-41");
  EXPECT_EQ(b().Message(at_b)->view_once(), Message::NOT_VIEWED);
  EXPECT_EQ(b().Message(at_b)->text(), "");  // Never in the history.
  EXPECT_EQ(a().Message(at_a)->text(), "");
  const std::string key = ViewOnceKey(b(), at_b);
  ASSERT_EQ(key.size(), 32u);

  auto viewed = View(b(), at_b);
  ASSERT_TRUE(viewed.ok()) << viewed.status().ToString();
  EXPECT_EQ(viewed->view().text(), "marker-view-once-41");
  EXPECT_EQ(View(b(), at_b).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(View(a(), at_a).status().code(), Code::kFailedPrecondition);
  pair_.Settle();
  EXPECT_EQ(a().Message(at_a)->view_once(), Message::VIEWED);
  EXPECT_EQ(b().Message(at_b)->view_once(), Message::VIEWED);
  EXPECT_EQ(ViewOnceKey(b(), at_b), "");
  for (CoreSide* side : {&a(), &b()}) {
    EXPECT_TRUE(StoreLacks(*side, "marker-view-once-41")) << side->name();
    EXPECT_TRUE(StoreLacks(*side, key)) << side->name();
  }
}

TEST_F(MessengerTest, AViewWhileTheSenderIsAwayEndsDestroyedOnBothOnceTheyMeet) {
  auto [at_a, at_b] = SendViewOnce("seen while you were away");
  pair_.LinkDown();
  ASSERT_TRUE(View(b(), at_b).ok());
  ASSERT_TRUE(a().Restart(/*crash=*/true).ok());
  ASSERT_TRUE(b().Restart(/*crash=*/true).ok());
  EXPECT_EQ(a().Message(at_a)->view_once(), Message::NOT_VIEWED);
  pair_.LinkUp();
  EXPECT_EQ(a().Message(at_a)->view_once(), Message::VIEWED);
  EXPECT_TRUE(StoreLacks(a(), "seen while you were away"));
}

// ---- disappearing -----------------------------------------------------------------------

TEST_F(MessengerTest, DisappearingMessagesGoOnBothSidesThatLongAfterTheyAreRead) {
  auto [kept_a, kept_b] = Exchange("sent before the change");
  auto set = Config(a(), "disappear-after", "1m");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  pair_.Settle();
  EXPECT_EQ(Config(b(), "disappear-after", "")->config().settings(0).value(), "1m");
  EXPECT_EQ(All(a(), Message::OUTGOING, Message::NOTICE).size(), 1u);
  EXPECT_EQ(All(b(), Message::INCOMING, Message::NOTICE).size(), 1u);

  auto [at_a, at_b] = Exchange("gone in a minute");
  EXPECT_EQ(b().Message(at_b)->disappear_after_ms(), 60'000);
  pair_.Advance(10min);  // Unread: its clock has not started.
  pair_.Settle();
  ASSERT_TRUE(b().Message(at_b).has_value());
  ASSERT_TRUE(MarkRead(b()).ok());
  pair_.Settle();
  pair_.Advance(59s);
  pair_.Settle();
  EXPECT_TRUE(b().Message(at_b).has_value());
  EXPECT_TRUE(a().Message(at_a).has_value());
  pair_.Advance(2s);
  pair_.Settle();
  EXPECT_FALSE(b().Message(at_b).has_value());
  EXPECT_FALSE(a().Message(at_a).has_value());
  EXPECT_TRUE(b().Message(kept_b).has_value());
  EXPECT_TRUE(a().Message(kept_a).has_value());
  EXPECT_TRUE(StoreLacks(a(), "gone in a minute"));
  EXPECT_TRUE(StoreLacks(b(), "gone in a minute"));

  // b's messages disappear too: the setting is both partners'.
  auto sent = b().Send("b's words");
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(b().Message(sent->id())->disappear_after_ms(), 60'000);
}

TEST_F(MessengerTest, PinningADisappearingMessageAsksAndThePinGoesWithIt) {
  ASSERT_TRUE(Config(a(), "disappear-after", "1m").ok());
  pair_.Settle();
  auto [at_a, at_b] = Exchange("a fleeting memory");
  control::Request pin;
  pin.mutable_pin()->set_id(at_b);
  auto refused = b().Call(pin);
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("--anyway"), std::string::npos);
  pin.mutable_pin()->set_anyway(true);
  ASSERT_TRUE(b().Call(pin).ok());
  ASSERT_TRUE(MarkRead(b()).ok());
  pair_.Settle();
  pair_.Advance(61s);
  pair_.Settle();
  control::Request memories;
  memories.mutable_memories();
  EXPECT_EQ(b().Call(memories)->memories().messages_size(), 0);
  EXPECT_EQ(a().Call(memories)->memories().messages_size(), 0);
}

TEST_F(MessengerTest, TheDisappearingClockSurvivesARestart) {
  ASSERT_TRUE(Config(a(), "disappear-after", "30s").ok());
  pair_.Settle();
  auto [at_a, at_b] = Exchange("still counting");
  ASSERT_TRUE(MarkRead(b()).ok());
  pair_.Settle();
  ASSERT_TRUE(b().Restart(/*crash=*/true).ok());
  pair_.LinkUp();
  pair_.Advance(31s);
  pair_.Settle();
  EXPECT_FALSE(b().Message(at_b).has_value());
  EXPECT_EQ(Config(a(), "disappear-after", "2x").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Config(a(), "disappear-after", "1s").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace inmost::test
