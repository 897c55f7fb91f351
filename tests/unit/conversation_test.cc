// The conversation's delivery stream across a pair with no sockets: each text is
// stored once, in order, acknowledged only once synced, and re-sent until it is;
// acks and items that arrive late, twice, out of order or never; crashes and
// failed writes between the steps (test_delivery.py and test_crash.py end to end);
// the end of a pairing on the stream.
#include <gtest/gtest.h>

#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Message;
using peer::PeerMessage;

PeerMessage Ack(uint64_t up_to) {
  PeerMessage message;
  message.mutable_ack()->set_up_to_seq(up_to);
  return message;
}

Message::State StateOf(CoreSide& side, uint64_t id) {
  auto message = side.Message(id);
  return message ? message->state() : Message::STATE_UNSPECIFIED;
}

class ConversationTest : public CorePairTest {
 protected:
  uint64_t SendOk(CoreSide& side, const std::string& text) {
    auto reply = side.Send(text);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    side.RunUntilIdle();
    return reply.ok() ? reply->id() : 0;
  }
  std::vector<std::string> Incoming(CoreSide& side) { return side.Texts(Message::INCOMING); }
  // Puts PairingEnded last on `side`'s stream and syncs it, as Partnership::Unpair.
  void EndPairing(CoreSide& side) {
    peer::Deliver ended;
    ended.mutable_pairing_ended()->set_kept_up_to_seq(side->conversation.StopTakingItems());
    side->conversation.EnqueueItem(std::move(ended), 0);
    side->commit.AfterSync([](const Status&) {});
    side.RunUntilIdle();
  }
  // The highest ack `side` sent since the last Take (0: none).
  uint64_t HighestAck(CoreSide& side) {
    uint64_t highest = 0;
    for (const auto& m : OfKind(side.channel().Take(), PeerMessage::kAck)) {
      highest = std::max<uint64_t>(highest, m.ack().up_to_seq());
    }
    return highest;
  }
};

TEST_F(ConversationTest, ATextIsPendingUntilTheAckThenDelivered) {
  uint64_t id = SendOk(a(), "one");
  auto sent = OfKind(a().channel().sent(), PeerMessage::kDeliver);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].deliver().seq(), 1u);
  EXPECT_EQ(sent[0].deliver().text(), "one");
  EXPECT_EQ(StateOf(a(), id), Message::PENDING);
  EXPECT_EQ(a()->conversation.unacknowledged(), 1u);

  pair_.Flow(a());
  // Stored, but not acknowledged before the batch holding it is synced.
  EXPECT_TRUE(OfKind(b().channel().sent(), PeerMessage::kAck).empty());
  b().RunUntilIdle();
  auto acks = OfKind(b().channel().sent(), PeerMessage::kAck);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].ack().up_to_seq(), 1u);
  EXPECT_EQ(Incoming(b()), std::vector<std::string>{"one"});
  EXPECT_EQ(StateOf(a(), id), Message::PENDING);

  a().TakeEvents();
  pair_.Flow(b());
  a().RunUntilIdle();
  EXPECT_EQ(StateOf(a(), id), Message::DELIVERED);
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
  auto events = a().TakeEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().delivered().id(), id);
}

TEST_F(ConversationTest, ADuplicateIsStoredOnceAndAcknowledgedAgain) {
  SendOk(a(), "once");
  auto sent = a().channel().Take();
  for (const auto& m : sent) b().Receive(m);
  b().RunUntilIdle();
  b().channel().Take();
  for (const auto& m : sent) b().Receive(m);  // The same again (a re-send).
  b().RunUntilIdle();
  EXPECT_EQ(Incoming(b()), std::vector<std::string>{"once"});
  auto acks = OfKind(b().channel().Take(), PeerMessage::kAck);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].ack().up_to_seq(), 1u);
}

TEST_F(ConversationTest, AnItemAheadOfItsTurnWaitsForTheResend) {
  SendOk(a(), "one");
  SendOk(a(), "two");
  auto sent = OfKind(a().channel().Take(), PeerMessage::kDeliver);
  ASSERT_EQ(sent.size(), 2u);
  b().Receive(sent[1]);  // seq 2 before seq 1: a gap, dropped.
  b().Receive(sent[0]);
  b().RunUntilIdle();
  EXPECT_EQ(Incoming(b()), std::vector<std::string>{"one"});
  pair_.Settle();
  EXPECT_EQ(a()->conversation.unacknowledged(), 1u);
  // The next session re-sends what is unacknowledged.
  pair_.LinkDown();
  pair_.LinkUp();
  EXPECT_EQ(Incoming(b()), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
}

TEST_F(ConversationTest, AnOlderAckAfterANewerOneChangesNothing) {
  uint64_t one = SendOk(a(), "one");
  uint64_t two = SendOk(a(), "two");
  auto sent = OfKind(a().channel().Take(), PeerMessage::kDeliver);
  ASSERT_EQ(sent.size(), 2u);
  a().Receive(Ack(2));
  a().Receive(Ack(1));
  a().RunUntilIdle();
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
  EXPECT_EQ(StateOf(a(), one), Message::DELIVERED);
  EXPECT_EQ(StateOf(a(), two), Message::DELIVERED);
}

TEST_F(ConversationTest, AnAckBeyondWhatWasSentCountsOnlyWhatWasSent) {
  SendOk(a(), "one");
  a().Receive(Ack(5));  // A confused partner.
  a().RunUntilIdle();
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
  uint64_t two = SendOk(a(), "two");
  EXPECT_EQ(a()->conversation.unacknowledged(), 1u);
  EXPECT_EQ(StateOf(a(), two), Message::PENDING);
  pair_.Settle();
  EXPECT_EQ(StateOf(a(), two), Message::DELIVERED);
  EXPECT_EQ(Incoming(b()), (std::vector<std::string>{"one", "two"}));
}

TEST_F(ConversationTest, AnAckLostWithTheSessionMeansOneResendStoredOnce) {
  uint64_t id = SendOk(a(), "hello");
  pair_.Flow(a());
  b().RunUntilIdle();
  pair_.LinkDown();  // b's ack is lost.
  EXPECT_EQ(StateOf(a(), id), Message::PENDING);
  pair_.LinkUp();
  EXPECT_EQ(Incoming(b()), std::vector<std::string>{"hello"});
  EXPECT_EQ(StateOf(a(), id), Message::DELIVERED);
}

TEST_F(ConversationTest, TextsSentWhileTheLinkIsDownLeaveInOrderAtTheNextLinkUp) {
  pair_.LinkDown();
  for (const char* text : {"1", "2", "3"}) SendOk(a(), text);
  EXPECT_TRUE(a().channel().sent().empty());
  EXPECT_EQ(a()->conversation.unacknowledged(), 3u);
  pair_.LinkUp();
  EXPECT_EQ(Incoming(b()), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
}

TEST_F(ConversationTest, BothWaysAtOnceEachArrivesOnceInOrder) {
  std::vector<std::string> from_a;
  std::vector<std::string> from_b;
  for (int i = 0; i < 15; ++i) {
    from_a.push_back("a" + std::to_string(i));
    from_b.push_back("b" + std::to_string(i));
    ASSERT_TRUE(a().Send(from_a.back()).ok());
    ASSERT_TRUE(b().Send(from_b.back()).ok());
    if (i % 4 == 0) pair_.Flow(a());  // Some cross while more are written.
    if (i % 5 == 0) pair_.Flow(b());
  }
  pair_.Settle();
  EXPECT_EQ(Incoming(b()), from_a);
  EXPECT_EQ(Incoming(a()), from_b);
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
  EXPECT_EQ(b()->conversation.unacknowledged(), 0u);
}

TEST_F(ConversationTest, ReadingTellsTheSenderOnlyWithReadReceiptsOn) {
  uint64_t first = SendOk(a(), "first");
  pair_.Settle();
  ASSERT_TRUE(MarkRead(b()).ok());
  pair_.Settle();
  EXPECT_EQ(StateOf(a(), first), Message::READ);

  ASSERT_TRUE(Config(b(), "read-receipts", "off").ok());
  uint64_t second = SendOk(a(), "second");
  pair_.Settle();
  ASSERT_TRUE(MarkRead(b()).ok());
  pair_.Settle();
  EXPECT_EQ(StateOf(a(), second), Message::DELIVERED);
  EXPECT_EQ(b().Message(b()->conversation.last_history_id())->state(), Message::READ);
}

TEST_F(ConversationTest, ASenderKilledAfterItsReplyLosesNothing) {
  pair_.LinkDown();
  SendOk(a(), "durable");
  ASSERT_TRUE(a().Restart(/*crash=*/true).ok());
  pair_.LinkUp();
  EXPECT_EQ(Incoming(b()), std::vector<std::string>{"durable"});
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
}

TEST_F(ConversationTest, AReceiverKilledBeforeItsSyncGetsTheResendOnce) {
  SendOk(a(), "one");
  SendOk(a(), "two");
  pair_.Flow(a());  // b takes both in and is killed before its batch is written.
  b().Crash();
  a().LinkDown();
  ASSERT_TRUE(b().Open().ok());
  EXPECT_TRUE(Incoming(b()).empty());
  pair_.LinkUp();
  EXPECT_EQ(Incoming(b()), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
}

TEST_F(ConversationTest, BothKilledWithTextsBothWaysEachArrivesOnce) {
  SendOk(a(), "from a");
  SendOk(b(), "from b");
  pair_.Flow(a());
  pair_.Flow(b());
  a().Crash();  // Each took the other's text in; neither batch is written.
  b().Crash();
  ASSERT_TRUE(a().Open().ok());
  ASSERT_TRUE(b().Open().ok());
  EXPECT_TRUE(Incoming(a()).empty());
  EXPECT_TRUE(Incoming(b()).empty());
  pair_.LinkUp();
  EXPECT_EQ(Incoming(b()), std::vector<std::string>{"from a"});
  EXPECT_EQ(Incoming(a()), std::vector<std::string>{"from b"});
}

TEST_F(ConversationTest, ASendThatCannotBeWrittenFailsAndLeavesNoTrace) {
  SendOk(a(), "before");
  {
    DiskLimit full;
    auto refused = a().Send("lost");
    EXPECT_FALSE(refused.ok());
    a().RunUntilIdle();
    // Until the store can be read again, nothing is taken.
    EXPECT_FALSE(a().Send("also lost").ok());
  }
  // The next request finds the store healthy again, re-read from the disk.
  uint64_t after = SendOk(a(), "after");
  EXPECT_GT(after, 0u);
  pair_.Settle();
  EXPECT_EQ(Incoming(b()), (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(a().Texts(Message::OUTGOING), (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
  auto delivers = b().History();
  ASSERT_EQ(delivers.size(), 2u);
}

TEST_F(ConversationTest, AnItemArrivingOnAFullDiskIsNotAcknowledgedAndComesAgain) {
  SendOk(a(), "one");
  {
    DiskLimit full;
    pair_.Flow(a());
    b().RunUntilIdle();
    EXPECT_TRUE(OfKind(b().channel().sent(), PeerMessage::kAck).empty());
    pair_.Settle();
  }
  EXPECT_EQ(a()->conversation.unacknowledged(), 1u);
  // The next delivery finds b's store readable again; the next session re-sends.
  pair_.LinkDown();
  pair_.LinkUp();
  EXPECT_EQ(Incoming(b()), std::vector<std::string>{"one"});
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
  SendOk(a(), "two");
  pair_.Settle();
  EXPECT_EQ(Incoming(b()), (std::vector<std::string>{"one", "two"}));
}

TEST_F(ConversationTest, WhatAFailedWriteHeldIsNeverSentWhenALaterWriteSucceeds) {
  // a's store is failing and not yet readable again when the partner's boundaries
  // (taken even then) make the next write, which succeeds: the text whose write
  // failed must not leave with it, nor take the seq of the next one.
  {
    DiskLimit full;
    EXPECT_FALSE(a().Send("lost").ok());
  }
  ASSERT_TRUE(Config(b(), "honour-forget", "on").ok());
  b().RunUntilIdle();
  pair_.Flow(b());
  a().RunUntilIdle();
  EXPECT_TRUE(OfKind(a().channel().sent(), PeerMessage::kDeliver).empty());
  SendOk(a(), "after");
  pair_.Settle();
  EXPECT_EQ(Incoming(b()), std::vector<std::string>{"after"});
}

TEST_F(ConversationTest, WhatAFailedWriteStoredIsNeverAcknowledgedWhenALaterWriteSucceeds) {
  SendOk(a(), "one");
  {
    DiskLimit full;
    pair_.Flow(a());  // b cannot store it.
    b().RunUntilIdle();
  }
  ASSERT_TRUE(Config(a(), "honour-forget", "on").ok());
  a().RunUntilIdle();
  pair_.Flow(a());  // a's boundaries: b writes them, and that write succeeds.
  b().RunUntilIdle();
  EXPECT_TRUE(OfKind(b().channel().sent(), PeerMessage::kAck).empty());
  // A new session starts with an Ack of what b holds: nothing yet.
  b().LinkDown();
  b().LinkUp();
  EXPECT_TRUE(OfKind(b().channel().sent(), PeerMessage::kAck).empty());
  pair_.LinkDown();
  pair_.LinkUp();
  EXPECT_EQ(Incoming(b()), std::vector<std::string>{"one"});
  EXPECT_EQ(a()->conversation.unacknowledged(), 0u);
}

// ---- the end of a pairing: the side that ends it keeps nothing more of the partner's
// stream and says how far it kept it, so the partner's history shows exactly what
// arrived, whatever crossed the end (test_partners.py, test_hostile_partner.py) ----

TEST_F(ConversationTest, TheEndingSideKeepsNothingMoreAndTheOtherShowsExactlyWhatItKept) {
  // b's first text is stored at a, and a's ack of it is lost on the way.
  uint64_t kept = SendOk(b(), "kept");
  pair_.Flow(b());
  a().RunUntilIdle();
  ASSERT_EQ(Incoming(a()), std::vector<std::string>{"kept"});
  ASSERT_EQ(HighestAck(a()), 1u);

  EndPairing(a());
  auto sent = OfKind(a().channel().Take(), PeerMessage::kDeliver);
  ASSERT_EQ(sent.size(), 1u);
  const PeerMessage ended = sent[0];
  ASSERT_TRUE(ended.deliver().has_pairing_ended());
  ASSERT_TRUE(ended.deliver().pairing_ended().has_kept_up_to_seq());
  EXPECT_EQ(ended.deliver().pairing_ended().kept_up_to_seq(), 1u);

  // b's next text crosses it: a neither stores nor acknowledges it, nor after a
  // restart (the end is on disk).
  uint64_t crossing = SendOk(b(), "crossing");
  auto from_b = OfKind(b().channel().Take(), PeerMessage::kDeliver);
  ASSERT_EQ(from_b.size(), 1u);
  a().Receive(from_b[0]);
  a().RunUntilIdle();
  EXPECT_EQ(Incoming(a()), std::vector<std::string>{"kept"});
  EXPECT_EQ(HighestAck(a()), 0u);
  ASSERT_TRUE(a().Restart().ok());
  a().Receive(from_b[0]);
  a().RunUntilIdle();
  EXPECT_EQ(Incoming(a()), std::vector<std::string>{"kept"});
  EXPECT_EQ(HighestAck(a()), 0u);

  // b stores a's end, and resets as Partnership::EndedByPartner does, with what a
  // kept: its first text is delivered though no ack came, the second is not.
  b().Receive(ended);
  b().RunUntilIdle();
  EXPECT_EQ(b().pairing_ended_items(), 1);
  EXPECT_EQ(StateOf(b(), kept), Message::PENDING);
  ASSERT_TRUE(b()->conversation.StartWithNewPartner(1).ok());
  EXPECT_EQ(StateOf(b(), kept), Message::DELIVERED);
  EXPECT_EQ(StateOf(b(), crossing), Message::NOT_DELIVERED);
}

TEST_F(ConversationTest, FromAnOlderPartnerThatSaysNothingWhatWasNotAcknowledgedIsNot) {
  uint64_t delivered = SendOk(b(), "acknowledged");
  pair_.Settle();
  uint64_t unacknowledged = SendOk(b(), "ack lost");
  pair_.Flow(b());
  a().RunUntilIdle();
  a().channel().Take();
  ASSERT_TRUE(b()->conversation.StartWithNewPartner(std::nullopt).ok());
  EXPECT_EQ(StateOf(b(), delivered), Message::DELIVERED);
  EXPECT_EQ(StateOf(b(), unacknowledged), Message::NOT_DELIVERED);
}

TEST_F(ConversationTest, BothEndingAtOnceEachStillHearsTheOthersEnd) {
  pair_.LinkDown();
  SendOk(b(), "written before b ended it");
  EndPairing(a());
  EndPairing(b());
  // b's PairingEnded follows a text a no longer keeps: it still reaches a's
  // partnership, and a's reaches b's; each once, however often it comes.
  pair_.LinkUp();
  pair_.LinkDown();
  pair_.LinkUp();
  EXPECT_TRUE(Incoming(a()).empty());
  EXPECT_EQ(a().pairing_ended_items(), 1);
  EXPECT_EQ(b().pairing_ended_items(), 1);
}

}  // namespace
}  // namespace inmost::test
