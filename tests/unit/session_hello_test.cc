// The session hello's stamp and mac2 (daemon/peer/session_hello.h): what lets a
// responder refuse a stranger who knows its key, and a replayed hello, before any DH.
#include "daemon/peer/session_hello.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/peer/hello.h"
#include "daemon/peer/session_handshake.h"

namespace inmost::peer {
namespace {

constexpr auto kSessionType = static_cast<uint8_t>(HelloType::kSession);

TEST(SessionHello, StampsAreTai64nAndOrderedAsTime) {
  // TAI64N of the Unix epoch: 2^62 seconds, 0 nanoseconds.
  const HelloStamp epoch = StampAt(0);
  const HelloStamp expected = {0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(epoch, expected);
  const HelloStamp later = StampAt(1'700'000'000'123'456'789);
  EXPECT_EQ(later[11], static_cast<uint8_t>(123'456'789 & 0xff));
  EXPECT_TRUE(std::lexicographical_compare(epoch.begin(), epoch.end(), later.begin(), later.end()));
}

TEST(SessionHello, OwnStampsGrowEvenWhenTheClockDoesNot) {
  HelloStamps stamps;
  const HelloStamp first = stamps.Next(1'000);
  const HelloStamp same_ms = stamps.Next(1'000);
  const HelloStamp clock_stepped_back = stamps.Next(999);
  ReplayWindow window;
  EXPECT_TRUE(window.AcceptIfNewer(first));
  EXPECT_TRUE(window.AcceptIfNewer(same_ms));
  EXPECT_TRUE(window.AcceptIfNewer(clock_stepped_back));
}

TEST(SessionHello, TheReplayWindowRefusesOldAndEqualStamps) {
  ReplayWindow window;
  EXPECT_TRUE(window.AcceptIfNewer(StampAt(2'000)));
  EXPECT_FALSE(window.AcceptIfNewer(StampAt(2'000)));  // The same hello again.
  EXPECT_FALSE(window.AcceptIfNewer(StampAt(1'000)));  // An older one.
  EXPECT_TRUE(window.AcceptIfNewer(StampAt(3'000)));
  window.Reset();  // A new partner: nothing seen yet.
  EXPECT_TRUE(window.AcceptIfNewer(StampAt(1'000)));
}

TEST(SessionHello, EachDirectionHasItsOwnKeyOnlyThePairCanCompute) {
  const auto alice = crypto::KeyPair::Generate();
  const auto bob = crypto::KeyPair::Generate();
  const auto stranger = crypto::KeyPair::Generate();
  auto at_alice = HelloKeys::Derive(alice, bob.public_key);
  auto at_bob = HelloKeys::Derive(bob, alice.public_key);
  auto at_stranger = HelloKeys::Derive(stranger, bob.public_key);
  ASSERT_TRUE(at_alice.ok() && at_bob.ok() && at_stranger.ok());
  EXPECT_TRUE(at_alice->to_partner.Equals(at_bob->from_partner.span()));
  EXPECT_TRUE(at_alice->from_partner.Equals(at_bob->to_partner.span()));
  EXPECT_FALSE(at_alice->to_partner.Equals(at_alice->from_partner.span()));
  EXPECT_FALSE(at_stranger->to_partner.Equals(at_bob->from_partner.span()));

  const crypto::PublicKey low_order{};  // All zeros: X25519 refuses it.
  EXPECT_EQ(HelloKeys::Derive(alice, low_order).status().code(), Code::kInvalidArgument);
}

TEST(SessionHello, Mac2RefusesAnyChangeAndAnyOtherKey) {
  const auto alice = crypto::KeyPair::Generate();
  const auto bob = crypto::KeyPair::Generate();
  auto at_alice = HelloKeys::Derive(alice, bob.public_key);
  auto at_bob = HelloKeys::Derive(bob, alice.public_key);
  ASSERT_TRUE(at_alice.ok() && at_bob.ok());
  const crypto::Bytes message1(48, 0x42);
  const HelloStamp stamp = StampAt(5'000'000);
  const crypto::Bytes inner = SealSessionHello(kSessionType, stamp, message1, at_alice->to_partner);

  auto opened = OpenSessionHello(kSessionType, inner, at_bob->from_partner);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->stamp, stamp);
  EXPECT_EQ(opened->message1, message1);

  for (size_t i = 0; i < inner.size(); ++i) {
    crypto::Bytes changed = inner;
    changed[i] ^= 1;
    EXPECT_EQ(OpenSessionHello(kSessionType, changed, at_bob->from_partner).status().code(),
              Code::kPermissionDenied)
        << "byte " << i;
  }
  // Alice's own direction, or the other hello type, does not open it.
  EXPECT_EQ(OpenSessionHello(kSessionType, inner, at_bob->to_partner).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(OpenSessionHello(kSessionType + 1, inner, at_bob->from_partner).status().code(),
            Code::kPermissionDenied);
  const crypto::Bytes too_short(kHelloStampSize + kMac2Size - 1, 0);
  EXPECT_EQ(OpenSessionHello(kSessionType, too_short, at_bob->from_partner).status().code(),
            Code::kInvalidArgument);
}

TEST(SessionHello, NoiseBindsTheStampThroughThePrologue) {
  const auto alice = crypto::KeyPair::Generate();
  const auto bob = crypto::KeyPair::Generate();
  auto at_alice = HelloKeys::Derive(alice, bob.public_key);
  auto at_bob = HelloKeys::Derive(bob, alice.public_key);
  ASSERT_TRUE(at_alice.ok() && at_bob.ok());
  auto start = StartSessionHandshake(alice, bob.public_key, *at_alice, StampAt(7'000'000));
  ASSERT_TRUE(start.ok());
  auto hello = ParseHello(start->hello, Mac1KeyFor(bob.public_key));
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  ASSERT_EQ(hello->type, HelloType::kSession);
  auto opened = OpenSessionHello(kSessionType, hello->message, at_bob->from_partner);
  ASSERT_TRUE(opened.ok());

  // Someone who could forge mac2 still could not move the stamp: Noise refuses.
  SessionHello restamped{StampAt(8'000'000), opened->message1};
  EXPECT_EQ(RespondToSessionHandshake(bob, alice.public_key, restamped).status().code(),
            Code::kPermissionDenied);

  auto answer = RespondToSessionHandshake(bob, alice.public_key, *opened);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  auto keys = FinishSessionHandshake(start->state, answer->message2);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
}

TEST(SessionHello, AnOlderPartnersUnstampedHelloIsRefusedWithAReason) {
  const auto bob = crypto::KeyPair::Generate();
  const Mac1Key key = Mac1KeyFor(bob.public_key);
  const crypto::Bytes message(kMinHelloMessageSize, 0x42);
  auto hello = ParseHello(BuildHello(HelloType::kUnstampedSession, message, key), key);
  EXPECT_EQ(hello.status().code(), Code::kUnsupported);
  EXPECT_NE(hello.status().message().find("older inmost"), std::string::npos);
}

}  // namespace
}  // namespace inmost::peer
