// Envelopes when something goes wrong between their steps (test_envelopes.py's
// kill -9 tests end to end): a side killed between a release and its write, acks
// and releases that arrive in either order, and each request or item whose write
// fails: after the store is readable again everything is as before it, and the
// envelope still opens exactly once.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Message;
using Envelope = control::Message::Envelope;
using Question = control::Message::Question;
using std::chrono::hours;

class EnvelopeFaultsTest : public CorePairTest {
 protected:
  uint64_t Gentle(const std::string& text) {
    control::SendRequest send;
    send.set_text(text);
    send.set_gentle(true);
    auto sent = a().Send(send);
    EXPECT_TRUE(sent.ok()) << sent.status().ToString();
    pair_.Settle();
    return sent.ok() ? sent->id() : 0;
  }
  uint64_t Sealed(const std::string& text, int64_t open_at) {
    control::SendRequest send;
    send.set_text(text);
    send.set_open_at_unix_ms(open_at);
    auto sent = a().Send(send);
    EXPECT_TRUE(sent.ok()) << sent.status().ToString();
    pair_.Settle();
    return sent.ok() ? sent->id() : 0;
  }
  Message AtB() { return Newest(b(), Message::INCOMING, Message::ENVELOPE).value_or(Message()); }
  Envelope::State StateAt(CoreSide& side, uint64_t id) {
    auto m = side.Message(id);
    return m ? m->envelope().state() : Envelope::STATE_UNSPECIFIED;
  }
  Result<control::Response> Open(uint64_t id) {
    control::Request request;
    request.mutable_open()->set_id(id);
    return b().Call(request);
  }
  Result<control::Response> Retract(uint64_t id) {
    control::Request request;
    request.mutable_retract()->set_id(id);
    return a().Call(request);
  }
  Result<uint64_t> Answer(CoreSide& side, uint64_t question, const std::string& text) {
    control::Request request;
    request.mutable_answer()->set_question_id(question);
    request.mutable_answer()->set_text(text);
    auto answered = side.Call(request);
    if (!answered.ok()) return answered.status();
    return answered->answer().id();
  }
};

TEST_F(EnvelopeFaultsTest, ASenderKilledBetweenItsReleaseAndItsWriteReleasesAtItsNextStart) {
  uint64_t id = Sealed("due while down", pair_.clock().NowUnixMs() + 3'600'000);
  pair_.LinkDown();
  pair_.Advance(hours(1));
  a().LinkUp();  // The key is released into the batch being filled ...
  a().Crash();   // ... which never reaches the disk.
  ASSERT_TRUE(a().Open().ok());
  EXPECT_EQ(StateAt(a(), id), Envelope::RELEASED);  // Released again at the start.
  pair_.LinkUp();
  EXPECT_EQ(AtB().text(), "due while down");
  EXPECT_EQ(StateAt(a(), id), Envelope::OPENED);
}

TEST_F(EnvelopeFaultsTest, BothKilledBetweenTheStepsOfAMutualReveal) {
  control::Request ask;
  ask.mutable_ask()->set_text("What made you laugh today?");
  auto asked = a().Call(ask);
  ASSERT_TRUE(asked.ok());
  pair_.Settle();
  uint64_t qa = asked->ask().id();
  uint64_t qb = Newest(b(), Message::INCOMING, Message::QUESTION)->id();
  ASSERT_TRUE(Answer(a(), qa, "your hat").ok());
  pair_.Settle();
  ASSERT_TRUE(Answer(b(), qb, "your joke").ok());  // Released at once: a's is here.
  b().RunUntilIdle();
  pair_.Flow(b());  // a takes b's answer and key in, releases its own ...
  a().Crash();      // ... and is killed before any of it is written.
  b().Crash();
  ASSERT_TRUE(a().Open().ok());
  ASSERT_TRUE(b().Open().ok());
  pair_.LinkUp();
  EXPECT_EQ(a().Message(qa)->question().state(), Question::REVEALED);
  EXPECT_EQ(b().Message(qb)->question().state(), Question::REVEALED);
  EXPECT_EQ(a().Message(a().Message(qa)->question().their_answer_id())->text(), "your joke");
  EXPECT_EQ(b().Message(b().Message(qb)->question().their_answer_id())->text(), "your hat");
}

TEST_F(EnvelopeFaultsTest, AcksAndOpenedItemsArriveInEitherOrder) {
  for (bool ack_first : {true, false}) {
    uint64_t id = Gentle(ack_first ? "ack first" : "opened first");
    ASSERT_TRUE(Open(AtB().id()).ok());
    b().RunUntilIdle();
    pair_.Flow(b());
    a().RunUntilIdle();
    pair_.Flow(a());  // The key: b opens, acknowledges it and says it opened.
    b().RunUntilIdle();
    auto from_b = b().channel().Take();
    std::stable_partition(from_b.begin(), from_b.end(),
                          [&](const peer::PeerMessage& m) { return m.has_ack() == ack_first; });
    for (const auto& m : from_b) a().Receive(m);
    pair_.Settle();
    EXPECT_EQ(StateAt(a(), id), Envelope::OPENED) << ack_first;
    EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
    EXPECT_EQ(AtB().envelope().state(), Envelope::OPENED);
  }
}

TEST_F(EnvelopeFaultsTest, AKeyThatArrivesBeforeItsOfferWaitsForTheResend) {
  // An envelope already due: its offer (seq 1) and key (seq 2) leave together;
  // b gets the key first.
  control::SendRequest send;
  send.set_text("swapped");
  send.set_open_at_unix_ms(pair_.clock().NowUnixMs());
  auto sent = a().Send(send);
  ASSERT_TRUE(sent.ok());
  a().RunUntilIdle();
  auto from_a = a().channel().Take();
  std::reverse(from_a.begin(), from_a.end());
  for (const auto& m : from_a) b().Receive(m);
  pair_.Settle();
  EXPECT_EQ(AtB().envelope().state(), Envelope::WITHHELD);  // The key came too early.
  pair_.LinkDown();
  pair_.LinkUp();
  EXPECT_EQ(AtB().text(), "swapped");
  EXPECT_EQ(StateAt(a(), sent->id()), Envelope::OPENED);
}

TEST_F(EnvelopeFaultsTest, ARetractThatCannotBeWrittenLeavesTheEnvelopeWhole) {
  uint64_t id = Gentle("still mine to give");
  {
    DiskLimit full;
    EXPECT_FALSE(Retract(id).ok());
  }
  EXPECT_EQ(StateAt(a(), id), Envelope::WITHHELD);
  pair_.Settle();
  EXPECT_EQ(AtB().envelope().state(), Envelope::WITHHELD);
  // Its key is still there: asked for, it opens.
  ASSERT_TRUE(Open(AtB().id()).ok());
  pair_.Settle();
  EXPECT_EQ(AtB().text(), "still mine to give");
  EXPECT_EQ(StateAt(a(), id), Envelope::OPENED);
}

TEST_F(EnvelopeFaultsTest, AnOpenRequestThatCannotBeWrittenCanBeMadeAgain) {
  uint64_t id = Gentle("ask twice");
  {
    DiskLimit full;
    EXPECT_FALSE(Open(AtB().id()).ok());
  }
  EXPECT_FALSE(AtB().envelope().open_requested());
  ASSERT_TRUE(Open(AtB().id()).ok());
  pair_.Settle();
  EXPECT_EQ(AtB().text(), "ask twice");
  EXPECT_EQ(StateAt(a(), id), Envelope::OPENED);
}

TEST_F(EnvelopeFaultsTest, AKeyArrivingOnAFullDiskOpensOnceThereIsRoom) {
  uint64_t id = Gentle("patience");
  ASSERT_TRUE(Open(AtB().id()).ok());
  b().RunUntilIdle();
  pair_.Flow(b());
  a().RunUntilIdle();  // a releases the key.
  {
    DiskLimit full;
    pair_.Flow(a());  // b cannot store it: not acknowledged.
    b().RunUntilIdle();
  }
  EXPECT_EQ(AtB().envelope().state(), Envelope::WITHHELD);
  pair_.LinkDown();
  pair_.LinkUp();
  EXPECT_EQ(AtB().text(), "patience");
  EXPECT_EQ(StateAt(a(), id), Envelope::OPENED);
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
}

TEST_F(EnvelopeFaultsTest, AnAnswerThatCannotBeWrittenIsNotGiven) {
  control::Request ask;
  ask.mutable_ask()->set_text("Where shall we go?");
  auto asked = a().Call(ask);
  ASSERT_TRUE(asked.ok());
  uint64_t qa = asked->ask().id();
  pair_.Settle();
  {
    DiskLimit full;
    EXPECT_FALSE(Answer(a(), qa, "lost answer").ok());
  }
  EXPECT_EQ(a().Message(qa)->question().state(), Question::UNANSWERED);
  auto kept = Answer(a(), qa, "the mountains");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  uint64_t qb = Newest(b(), Message::INCOMING, Message::QUESTION)->id();
  pair_.Settle();
  ASSERT_TRUE(Answer(b(), qb, "the sea").ok());
  pair_.Settle();
  EXPECT_EQ(b().Message(b().Message(qb)->question().their_answer_id())->text(), "the mountains");
  EXPECT_TRUE(StoreLacks(b(), "lost answer"));
}

}  // namespace
}  // namespace inmost::test
