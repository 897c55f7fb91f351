// The end of a pairing on the delivery stream: the side that ends it keeps nothing
// more of the partner's stream and says how far it kept it, so the partner's
// history shows exactly what arrived, whatever crossed the end on the way
// (test_partners.py and test_hostile_partner.py end to end).
#include <gtest/gtest.h>

#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Message;
using peer::PeerMessage;

Message::State StateOf(CoreSide& side, uint64_t id) {
  auto message = side.Message(id);
  return message ? message->state() : Message::STATE_UNSPECIFIED;
}

class ConversationEndTest : public CorePairTest {
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
    ended.mutable_pairing_ended();
    side->conversation.EnqueueItem(std::move(ended), 0);
    side->commit.AfterSync([](const Status&) {});
    side.RunUntilIdle();
  }
  // The acks `side` sent since the last Take, highest first (0: none).
  uint64_t HighestAck(CoreSide& side) {
    uint64_t highest = 0;
    for (const auto& m : OfKind(side.channel().Take(), PeerMessage::kAck)) {
      highest = std::max<uint64_t>(highest, m.ack().up_to_seq());
    }
    return highest;
  }
};

TEST_F(ConversationEndTest, TheEndingSideKeepsNothingMoreAndTheOtherShowsExactlyWhatItKept) {
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

TEST_F(ConversationEndTest, FromAnOlderPartnerThatSaysNothingWhatWasNotAcknowledgedIsNot) {
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

TEST_F(ConversationEndTest, BothEndingAtOnceEachStillHearsTheOthersEnd) {
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
