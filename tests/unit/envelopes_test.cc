// Envelopes across a pair with no sockets (test_envelopes.py end to end): sealed
// until a time (to the millisecond, read when something happens), gentle until
// asked, together while both are present, scheduled, withdrawn, and a released key
// that does not match its commitment. The recipient never holds the body before
// the key.
#include <gtest/gtest.h>

#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Message;
using Envelope = control::Message::Envelope;
using peer::PeerMessage;
using std::chrono::hours;
using std::chrono::milliseconds;

class EnvelopesTest : public CorePairTest {
 protected:
  // Sends `text` as the envelope `fill` describes; returns its id at a().
  uint64_t SendEnvelope(const std::string& text,
                        const std::function<void(control::SendRequest&)>& fill) {
    control::SendRequest send;
    send.set_text(text);
    fill(send);
    auto reply = a().Send(send);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    pair_.Settle();
    return reply.ok() ? reply->id() : 0;
  }
  uint64_t Sealed(const std::string& text, int64_t open_at) {
    return SendEnvelope(text, [&](control::SendRequest& s) { s.set_open_at_unix_ms(open_at); });
  }
  uint64_t Gentle(const std::string& text) {
    return SendEnvelope(text, [](control::SendRequest& s) { s.set_gentle(true); });
  }
  // The envelope as b holds it now.
  Message AtB() {
    auto held = Newest(b(), Message::INCOMING, Message::ENVELOPE);
    EXPECT_TRUE(held.has_value());
    return held.value_or(Message());
  }
  Envelope::State StateAt(CoreSide& side, uint64_t id) {
    auto m = side.Message(id);
    return m ? m->envelope().state() : Envelope::STATE_UNSPECIFIED;
  }
  // The link goes down and up: every side looks at what is due (the clock).
  void Bounce() {
    pair_.LinkDown();
    pair_.LinkUp();
  }
  Result<control::Response> Open(uint64_t id) {
    control::Request request;
    request.mutable_open()->set_id(id);
    return b().Call(request);
  }
  Result<control::Response> Retract(uint64_t id, bool scheduled_only = false) {
    control::Request request;
    request.mutable_retract()->set_id(id);
    request.mutable_retract()->set_scheduled_only(scheduled_only);
    return a().Call(request);
  }
  int64_t Now() { return pair_.clock().NowUnixMs(); }
};

TEST_F(EnvelopesTest, ASealedEnvelopeOpensAtItsTimeToTheMillisecond) {
  const int64_t open_at = Now() + 3'600'000;
  uint64_t id = Sealed("the body", open_at);
  Message held = AtB();
  EXPECT_EQ(held.envelope().state(), Envelope::WITHHELD);
  EXPECT_EQ(held.envelope().kind(), Envelope::SEALED);
  EXPECT_EQ(held.envelope().open_at_unix_ms(), open_at);
  EXPECT_EQ(held.text(), "");
  EXPECT_TRUE(StoreLacks(b(), "the body"));

  pair_.Advance(hours(1) - milliseconds(1));
  Bounce();
  EXPECT_EQ(AtB().envelope().state(), Envelope::WITHHELD);
  EXPECT_EQ(StateAt(a(), id), Envelope::WITHHELD);

  pair_.Advance(milliseconds(1));
  Bounce();
  EXPECT_EQ(AtB().envelope().state(), Envelope::OPENED);
  EXPECT_EQ(AtB().text(), "the body");
  EXPECT_EQ(StateAt(a(), id), Envelope::OPENED);
}

TEST_F(EnvelopesTest, ATimeAlreadyPastOpensAtOnce) {
  Sealed("now", Now());
  EXPECT_EQ(AtB().envelope().state(), Envelope::OPENED);
  EXPECT_EQ(AtB().text(), "now");
}

TEST_F(EnvelopesTest, ATimeThatFellWhileTheSenderWasDownOpensAtItsNextStart) {
  uint64_t id = Sealed("while down", Now() + 1000);
  pair_.LinkDown();
  a().Close();
  pair_.Advance(milliseconds(1000));
  ASSERT_TRUE(a().Open().ok());
  EXPECT_EQ(StateAt(a(), id), Envelope::RELEASED);
  pair_.LinkUp();
  EXPECT_EQ(AtB().text(), "while down");
  EXPECT_EQ(StateAt(a(), id), Envelope::OPENED);
}

TEST_F(EnvelopesTest, AGentleEnvelopeOpensOnlyWhenAskedAndTheSenderSeesIt) {
  uint64_t id = Gentle("when you are ready");
  Bounce();
  pair_.Advance(hours(24 * 365));
  Bounce();
  EXPECT_EQ(AtB().envelope().state(), Envelope::WITHHELD);
  uint64_t at_b = AtB().id();
  ASSERT_TRUE(Open(at_b).ok());
  EXPECT_TRUE(b().Message(at_b)->envelope().open_requested());
  pair_.Settle();
  EXPECT_EQ(AtB().text(), "when you are ready");
  EXPECT_EQ(StateAt(a(), id), Envelope::OPENED);
  EXPECT_FALSE(Open(at_b).ok());  // Already open.
}

TEST_F(EnvelopesTest, AGentleOpenRequestWaitsForTheSender) {
  uint64_t id = Gentle("later");
  pair_.LinkDown();
  ASSERT_TRUE(Open(AtB().id()).ok());
  a().Close();
  ASSERT_TRUE(a().Open().ok());
  pair_.LinkUp();
  EXPECT_EQ(AtB().text(), "later");
  EXPECT_EQ(StateAt(a(), id), Envelope::OPENED);
}

TEST_F(EnvelopesTest, OnlyAGentleEnvelopeFromThePartnerOpensByAsking) {
  uint64_t sealed = Sealed("sealed", Now() + 3'600'000);
  EXPECT_EQ(Open(AtB().id()).status().code(), Code::kFailedPrecondition);
  control::Request own;
  own.mutable_open()->set_id(sealed);
  EXPECT_EQ(a().Call(own).status().code(), Code::kFailedPrecondition);
  control::SendRequest two_kinds;
  two_kinds.set_text("x");
  two_kinds.set_gentle(true);
  two_kinds.set_together(true);
  EXPECT_EQ(a().Send(two_kinds).status().code(), Code::kInvalidArgument);
  control::SendRequest long_note;
  long_note.set_text("x");
  long_note.set_gentle(true);
  long_note.set_note(std::string(201, 'n'));
  EXPECT_EQ(a().Send(long_note).status().code(), Code::kInvalidArgument);
}

TEST_F(EnvelopesTest, ATogetherEnvelopeOpensOnlyWhileBothArePresent) {
  uint64_t id = SendEnvelope("us", [](control::SendRequest& s) { s.set_together(true); });
  a().SetPresent(true);
  pair_.Settle();
  EXPECT_EQ(StateAt(a(), id), Envelope::WITHHELD);
  a().SetPresent(false);
  b().SetPresent(true);
  pair_.Settle();
  EXPECT_EQ(StateAt(a(), id), Envelope::WITHHELD);
  EXPECT_TRUE(AtB().envelope().partner_present() == false);
  a().SetPresent(true);
  pair_.Settle();
  EXPECT_EQ(AtB().text(), "us");
  EXPECT_EQ(StateAt(a(), id), Envelope::OPENED);
}

TEST_F(EnvelopesTest, AScheduledTextLeavesAtItsTimeAndACancelledOneNever) {
  const int64_t at = Now() + 3'600'000;
  uint64_t kept =
      SendEnvelope("on time", [&](control::SendRequest& s) { s.set_send_at_unix_ms(at); });
  uint64_t cancelled =
      SendEnvelope("never", [&](control::SendRequest& s) { s.set_send_at_unix_ms(at); });
  EXPECT_EQ(a().Message(kept)->state(), Message::SCHEDULED);
  ASSERT_TRUE(Retract(cancelled, /*scheduled_only=*/true).ok());
  EXPECT_EQ(a().Message(cancelled)->state(), Message::CANCELLED);
  EXPECT_TRUE(b().Texts(Message::INCOMING).empty());

  pair_.Advance(hours(1) - milliseconds(1));
  Bounce();
  EXPECT_TRUE(b().Texts(Message::INCOMING).empty());
  pair_.Advance(milliseconds(1));
  Bounce();
  EXPECT_EQ(b().Texts(Message::INCOMING), std::vector<std::string>{"on time"});
  EXPECT_EQ(a().Message(kept)->state(), Message::DELIVERED);
  EXPECT_EQ(a().Message(kept)->sent_at_unix_ms(), at);
  // Sent: it can no longer be cancelled.
  EXPECT_EQ(Retract(kept, true).status().code(), Code::kFailedPrecondition);
}

TEST_F(EnvelopesTest, WithdrawnBeforeItOpensOnBothSidesAndNeverAfter) {
  uint64_t id = Gentle("take it back");
  ASSERT_TRUE(Retract(id).ok());
  pair_.Settle();
  EXPECT_EQ(StateAt(a(), id), Envelope::WITHDRAWN);
  EXPECT_EQ(AtB().envelope().state(), Envelope::WITHDRAWN);
  EXPECT_EQ(Open(AtB().id()).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Retract(id).status().code(), Code::kFailedPrecondition);  // Already.

  uint64_t opened = Sealed("open", Now());
  EXPECT_EQ(StateAt(a(), opened), Envelope::OPENED);
  EXPECT_EQ(Retract(opened).status().code(), Code::kFailedPrecondition);
  control::Request theirs;
  theirs.mutable_retract()->set_id(AtB().id());
  EXPECT_EQ(b().Call(theirs).status().code(), Code::kFailedPrecondition);
}

TEST_F(EnvelopesTest, WithdrawnWhileTheRecipientIsDown) {
  uint64_t id = Gentle("gone");
  pair_.LinkDown();
  ASSERT_TRUE(Retract(id).ok());
  ASSERT_TRUE(b().Restart().ok());
  pair_.LinkUp();
  EXPECT_EQ(AtB().envelope().state(), Envelope::WITHDRAWN);
  EXPECT_EQ(AtB().text(), "");
}

TEST_F(EnvelopesTest, AWithdrawalCrossingAnOpenRequestOpensNothing) {
  uint64_t id = Gentle("crossing");
  ASSERT_TRUE(Open(AtB().id()).ok());
  ASSERT_TRUE(Retract(id).ok());
  a().RunUntilIdle();
  b().RunUntilIdle();
  // Both items are on their way at once.
  pair_.Flow(b());
  pair_.Flow(a());
  pair_.Settle();
  EXPECT_EQ(StateAt(a(), id), Envelope::WITHDRAWN);
  EXPECT_EQ(AtB().envelope().state(), Envelope::WITHDRAWN);
  EXPECT_EQ(AtB().text(), "");
  EXPECT_TRUE(StoreLacks(b(), "crossing"));
}

TEST_F(EnvelopesTest, AKeyThatDoesNotMatchTheCommitmentIsFlaggedOnBothSides) {
  uint64_t id = Gentle("honest body");
  ASSERT_TRUE(Open(AtB().id()).ok());
  b().RunUntilIdle();
  pair_.Flow(b());
  a().RunUntilIdle();
  auto sent = a().channel().Take();
  bool tampered = false;
  for (auto& m : sent) {
    if (m.has_deliver() && m.deliver().has_key_release()) {
      std::string key = m.deliver().key_release().key();
      key[0] = static_cast<char>(key[0] ^ 1);
      m.mutable_deliver()->mutable_key_release()->set_key(key);
      tampered = true;
    }
    b().Receive(m);
  }
  ASSERT_TRUE(tampered);
  pair_.Settle();
  EXPECT_EQ(AtB().envelope().state(), Envelope::MISMATCH);
  EXPECT_EQ(AtB().text(), "");
  EXPECT_EQ(StateAt(a(), id), Envelope::MISMATCH);
}

TEST_F(EnvelopesTest, TheListOfPendingEnvelopesHoldsOnlyWhatIsPending) {
  uint64_t gentle = Gentle("pending");
  Sealed("opened", Now());
  control::Request list;
  list.mutable_envelopes();
  auto at_a = a().Call(list);
  ASSERT_TRUE(at_a.ok());
  ASSERT_EQ(at_a->envelopes().messages_size(), 1);
  EXPECT_EQ(at_a->envelopes().messages(0).id(), gentle);
  auto at_b = b().Call(list);
  ASSERT_TRUE(at_b.ok());
  ASSERT_EQ(at_b->envelopes().messages_size(), 1);
  EXPECT_EQ(at_b->envelopes().messages(0).envelope().kind(), Envelope::GENTLE);
}

}  // namespace
}  // namespace inmost::test
