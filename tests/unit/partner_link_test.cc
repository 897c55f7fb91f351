// Tests of the peer link: two (or three) PartnerLinks on one io_context in this process,
// on 127.0.0.1 with ports picked by the system, plus raw TCP clients and a scripted fake
// partner for what a well-behaved link never sends. Synchronisation is by running the
// io_context until a condition holds or a deadline passes, never by bare sleeps.
#include "daemon/peer/partner_link.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/codec/peer/transport_message.h"
#include "daemon/core/clock.h"
#include "daemon/core/link_listener.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/identity/invite_code.h"
#include "daemon/log/logger.h"
#include "daemon/peer/address.h"
#include "daemon/peer/asio.h"
#include "daemon/peer/backoff.h"
#include "daemon/peer/handshake_mac.h"
#include "daemon/peer/hello.h"
#include "daemon/peer/pairing.h"
#include "daemon/peer/rate_limiter.h"
#include "daemon/peer/session_handshake.h"
#include "daemon/peer/socket_io.h"
#include "daemon/wire/frame.h"
#include "tests/unit/partner_link_harness.h"

namespace inmost::peer {
namespace {

using namespace link_testing;

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------
// Small pieces.

TEST(PeerBackoff, DoublesUpToTheCapAndResets) {
  Backoff backoff(100ms, 1000ms);
  EXPECT_EQ(backoff.BaseDelay(0), 100ms);
  EXPECT_EQ(backoff.BaseDelay(1), 200ms);
  EXPECT_EQ(backoff.BaseDelay(3), 800ms);
  EXPECT_EQ(backoff.BaseDelay(4), 1000ms);
  EXPECT_EQ(backoff.BaseDelay(1000), 1000ms);
  for (int i = 0; i < 10; ++i) {
    const auto delay = backoff.Next();
    EXPECT_GE(delay, 75ms);
    EXPECT_LE(delay, 1250ms);
  }
  backoff.Reset();
  const auto first = backoff.Next();
  EXPECT_GE(first, 75ms);
  EXPECT_LE(first, 125ms);
}

TEST(PeerBackoff, JitterStaysWithinAQuarter) {
  EXPECT_EQ(Backoff::Jitter(1000ms, 0.0), 750ms);
  EXPECT_EQ(Backoff::Jitter(1000ms, 0.5), 1000ms);
  EXPECT_EQ(Backoff::Jitter(1000ms, 1.0), 1250ms);
  EXPECT_EQ(Backoff::Jitter(1000ms, 7.0), 1250ms);
}

TEST(PeerHandshakeMac, VerifiesOnlyTheRightKeyAndData) {
  const auto responder = crypto::KeyPair::Generate();
  const auto other = crypto::KeyPair::Generate();
  const Mac1Key key = Mac1KeyFor(responder.public_key);
  const crypto::Bytes data = {1, 2, 3, 4};
  const Mac1 mac = ComputeMac1(key, data);
  EXPECT_TRUE(VerifyMac1(key, data, mac));
  EXPECT_FALSE(VerifyMac1(Mac1KeyFor(other.public_key), data, mac));
  const crypto::Bytes changed = {1, 2, 3, 5};
  EXPECT_FALSE(VerifyMac1(key, changed, mac));
  EXPECT_FALSE(VerifyMac1(key, data, std::span<const uint8_t>(mac).first(15)));
}

TEST(PeerHello, RoundTripsAndChecksMacBeforeType) {
  const auto responder = crypto::KeyPair::Generate();
  const Mac1Key key = Mac1KeyFor(responder.public_key);
  const crypto::Bytes message(kMinHelloMessageSize, 0x42);
  auto hello = ParseHello(BuildHello(HelloType::kPairing, message, key), key);
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  EXPECT_EQ(hello->type, HelloType::kPairing);
  EXPECT_EQ(hello->message, message);

  const auto stranger = crypto::KeyPair::Generate();
  auto wrong_key =
      ParseHello(BuildHello(HelloType::kSession, message, key), Mac1KeyFor(stranger.public_key));
  EXPECT_EQ(wrong_key.status().code(), Code::kPermissionDenied);

  crypto::Bytes unknown_type = BuildHello(HelloType::kSession, message, key);
  unknown_type[0] = 9;  // The mac no longer matches: dropped as a bad mac, not a bad type.
  EXPECT_EQ(ParseHello(unknown_type, key).status().code(), Code::kPermissionDenied);

  const crypto::Bytes short_hello(10, 1);
  EXPECT_EQ(ParseHello(short_hello, key).status().code(), Code::kInvalidArgument);
}

TEST(PeerHelloRateLimiter, AllowsABurstThenTheRate) {
  HelloRateLimiter limiter(/*rate_per_second=*/10, /*burst=*/3, /*max_sources=*/2);
  const auto a = asio::ip::make_address("192.0.2.1");
  const auto b = asio::ip::make_address("::ffff:192.0.2.2");
  const auto start = SteadyClock::now();
  EXPECT_TRUE(limiter.Allow(a, start));
  EXPECT_TRUE(limiter.Allow(a, start));
  EXPECT_TRUE(limiter.Allow(a, start));
  EXPECT_FALSE(limiter.Allow(a, start));
  EXPECT_TRUE(limiter.Allow(b, start));          // Another address has its own bucket.
  EXPECT_TRUE(limiter.Allow(a, start + 100ms));  // One token per 100 ms.
  EXPECT_FALSE(limiter.Allow(a, start + 100ms));
  // The table stays bounded.
  EXPECT_TRUE(limiter.Allow(asio::ip::make_address("192.0.2.3"), start + 100ms));
  EXPECT_LE(limiter.tracked_sources(), 2u);
}

TEST(PeerAddress, ParsesAndFormats) {
  auto v4 = ParseHostPort("127.0.0.1:7433");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 7433);
  auto v6 = ParseHostPort("[::1]:1");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_TRUE(ParseHostPort("partner.example:80").ok());
  EXPECT_TRUE(ParseHostPort("[::]:0", /*allow_port_zero=*/true).ok());
  EXPECT_FALSE(ParseHostPort("[::]:0").ok());
  EXPECT_FALSE(ParseHostPort("::1:7433").ok());
  EXPECT_FALSE(ParseHostPort("host:99999").ok());
  EXPECT_FALSE(ParseHostPort("host:").ok());
  EXPECT_FALSE(ParseHostPort("host").ok());
  EXPECT_EQ(
      SanitizeAddresses({"0.0.0.0:1", "[::]:2", "bad", "10.0.0.1:3", "[::1]:0", "h.example:4"}),
      (std::vector<std::string>{"10.0.0.1:3", "h.example:4"}));
  EXPECT_EQ(FormatEndpoint(tcp::endpoint(asio::ip::make_address("::ffff:10.0.0.1"), 5)),
            "10.0.0.1:5");
  EXPECT_EQ(FormatEndpoint(tcp::endpoint(asio::ip::make_address("2001:db8::1"), 5)),
            "[2001:db8::1]:5");
}

// ---------------------------------------------------------------------------------------
// Pairing.

TEST_F(PartnerLinkTest, PairsThenSessionCarriesMessagesBothWays) {
  Node& inviter = AddNode();
  Node& joiner = AddNode();
  auto partner = Join(joiner, OpenInvite(inviter));
  ASSERT_TRUE(partner.ok()) << partner.status().ToString();
  EXPECT_EQ(partner->static_key, inviter.key.public_key);

  ASSERT_EQ(inviter.listener.paired.size(), 1u);
  EXPECT_EQ(inviter.listener.paired[0].static_key, joiner.key.public_key);
  EXPECT_EQ(inviter.listener.paired[0].addresses,
            std::vector<std::string>{joiner.link.listen_address()});
  ASSERT_EQ(joiner.listener.paired.size(), 1u);
  EXPECT_EQ(joiner.listener.paired[0].static_key, inviter.key.public_key);
  EXPECT_EQ(joiner.listener.paired[0].addresses,
            std::vector<std::string>{inviter.link.listen_address()});

  ASSERT_TRUE(RunUntil([&] { return Agree(inviter, joiner); }));
  EXPECT_FALSE(inviter.listener.ups.empty());
  EXPECT_FALSE(joiner.listener.ups.empty());

  // More messages than rekey_after_messages in each direction: both sides rekey alike.
  ExchangeMessages(inviter, joiner, 10);
  ExchangeMessages(joiner, inviter, 10);

  // Each side told the other where it listens.
  ASSERT_TRUE(RunUntil(
      [&] { return !inviter.listener.addresses.empty() && !joiner.listener.addresses.empty(); }));
  EXPECT_EQ(inviter.listener.addresses.back(),
            std::vector<std::string>{joiner.link.listen_address()});
  EXPECT_EQ(joiner.listener.addresses.back(),
            std::vector<std::string>{inviter.link.listen_address()});

  // Keepalives flow while idle, so neither side declares the other dead.
  RunFor(FastOptions().dead_after * 2);
  EXPECT_TRUE(Agree(inviter, joiner));
  EXPECT_TRUE(inviter.listener.downs.empty());
  EXPECT_TRUE(joiner.listener.downs.empty());
}

TEST_F(PartnerLinkTest, WildcardIpv6ListenerAlsoTakesIpv4) {
  auto probe = std::make_unique<Node>(io_, crypto::KeyPair::Generate(), clock_, FastOptions());
  if (!probe->link.Listen("[::]:0").ok()) GTEST_SKIP() << "no IPv6 on this machine";
  const std::string port =
      probe->link.listen_address().substr(probe->link.listen_address().rfind(':') + 1);
  probe->link.Stop();
  probe.reset();

  Node& inviter = AddNode(FastOptions(), nullptr, std::nullopt, "[::]:" + port);
  EXPECT_EQ(inviter.link.listen_address(), "[::]:" + port);
  Node& joiner = AddNode();
  identity::Invite invite = OpenInvite(inviter);
  invite.addresses = {"127.0.0.1:" + port};
  auto partner = Join(joiner, invite);
  ASSERT_TRUE(partner.ok()) << partner.status().ToString();
  // Listening on every interface, the inviter names the address the joiner reached.
  EXPECT_EQ(partner->addresses, std::vector<std::string>{"127.0.0.1:" + port});
  ASSERT_TRUE(RunUntil([&] { return Agree(inviter, joiner); }));
  ExchangeMessages(joiner, inviter, 2);
}

TEST_F(PartnerLinkTest, WrongSecretIsRefusedAndTheInviteStaysOpen) {
  Node& inviter = AddNode();
  Node& joiner = AddNode();
  identity::Invite invite = OpenInvite(inviter);
  identity::Invite forged;
  forged.inviter_key = invite.inviter_key;
  forged.secret = crypto::SecretBytes::Random(identity::kInviteSecretSize);
  forged.addresses = invite.addresses;
  forged.expires_at_unix = invite.expires_at_unix;

  auto refused = Join(joiner, forged);
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_NE(refused.status().message().find(
                "\n  " + inviter.address +
                ": the inviter refused this code: its open invite is a newer one\n"),
            std::string::npos)
      << refused.status().message();
  ASSERT_TRUE(RunUntil([&] {
    return inviter.logs.str().find("refused a join from 127.0.0.1:") != std::string::npos;
  }));
  EXPECT_NE(inviter.logs.str().find(std::string(kJoinerLacksSecret)), std::string::npos);
  EXPECT_TRUE(inviter.listener.paired.empty());
  EXPECT_TRUE(joiner.listener.paired.empty());

  // The real secret still works: a wrong guess does not burn the invite.
  auto partner = Join(joiner, invite);
  ASSERT_TRUE(partner.ok()) << partner.status().ToString();
  EXPECT_EQ(inviter.listener.paired.size(), 1u);
}

TEST_F(PartnerLinkTest, UsedInviteIsRefused) {
  Node& inviter = AddNode();
  Node& joiner = AddNode();
  Node& latecomer = AddNode();
  identity::Invite invite = OpenInvite(inviter);
  ASSERT_TRUE(Join(joiner, invite).ok());

  auto refused = Join(latecomer, invite);
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_NE(refused.status().message().find(
                "\n  " + inviter.address +
                ": the inviter refused this code: it was used or has expired\n"),
            std::string::npos)
      << refused.status().message();
  EXPECT_EQ(inviter.listener.paired.size(), 1u);
  EXPECT_TRUE(latecomer.listener.paired.empty());
}

TEST_F(PartnerLinkTest, AJoinSaysWhatHappenedAtEachAddress) {
  Node& inviter = AddNode();
  Node& joiner = AddNode();
  Node& stranger = AddNode();
  Node& gone = AddNode();
  const std::string gone_address = gone.address;
  RemoveNode(gone);
  identity::Invite invite = OpenInvite(inviter);
  // The joiner's own daemon, a stranger daemon, nothing: none of them the inviter.
  invite.addresses = {joiner.address, stranger.address, gone_address};
  auto failed = Join(joiner, invite);
  EXPECT_EQ(failed.status().code(), Code::kUnavailable);
  const std::string expected =
      "could not join; at each address in the invite:\n  " + joiner.address +
      ": answered, but it is not the daemon that made this invite (it is this daemon "
      "itself)\n  " +
      stranger.address +
      ": answered, but it is not the daemon that made this invite (it hung up on the "
      "invite's hello: another inmost daemon or another program listens there)\n  " +
      gone_address + ": cannot connect: Connection refused\n";
  EXPECT_EQ(failed.status().message().substr(0, expected.size()), expected)
      << failed.status().message();
  EXPECT_TRUE(inviter.listener.paired.empty());
  // The stranger did no pairing work and logged no refused join.
  EXPECT_EQ(stranger.logs.str().find("refused a join"), std::string::npos);

  // The inviter itself is still reachable with the same invite.
  invite.addresses = {inviter.address};
  ASSERT_TRUE(Join(joiner, invite).ok());
}

TEST_F(PartnerLinkTest, ExpiredInviteIsRefused) {
  // The joiner notices an expired invite itself, without dialing.
  Node& inviter = AddNode();
  Node& joiner = AddNode();
  identity::Invite stale = OpenInvite(inviter, /*lifetime_seconds=*/-1);
  auto expired = Join(joiner, stale);
  EXPECT_EQ(expired.status().code(), Code::kExpired);

  // The inviter's clock is what counts: past the expiry it refuses, whatever the
  // joiner's clock says.
  core::ManualClock inviter_clock(clock_.NowUnixMs());
  Node& late_inviter = AddNode(FastOptions(), &inviter_clock);
  identity::Invite invite = OpenInvite(late_inviter, /*lifetime_seconds=*/60);
  inviter_clock.Advance(61s);
  auto refused = Join(joiner, invite);
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(late_inviter.listener.paired.empty());
  EXPECT_TRUE(joiner.listener.paired.empty());
  RemoveNode(late_inviter);  // Its timers wait on inviter_clock: gone before it.
}

TEST_F(PartnerLinkTest, PairingAbortsWhenTheInviterCannotMakeItDurable) {
  Node& inviter = AddNode();
  Node& joiner = AddNode();
  inviter.listener.paired_status = IoError("disk full");
  auto refused = Join(joiner, OpenInvite(inviter));
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(inviter.listener.paired.size(), 1u);  // Asked, said no.
  EXPECT_TRUE(joiner.listener.paired.empty());
  EXPECT_FALSE(inviter.link.IsUp());
}

TEST_F(PartnerLinkTest, UnreachableInviterIsUnavailable) {
  Node& joiner = AddNode();
  identity::Invite invite;
  invite.inviter_key = crypto::KeyPair::Generate().public_key;
  invite.secret = crypto::SecretBytes::Random(identity::kInviteSecretSize);
  // A port nobody listens on: bind one, note it, close it.
  tcp::acceptor probe(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  invite.addresses = {FormatEndpoint(probe.local_endpoint())};
  probe.close();
  invite.expires_at_unix = NowUnix() + 3600;
  auto result = Join(joiner, invite);
  EXPECT_EQ(result.status().code(), Code::kUnavailable);
}

// ---------------------------------------------------------------------------------------
// Strangers and garbage.

TEST_F(PartnerLinkTest, StrangerCanNeitherPairNorOpenASession) {
  Node& a = AddNode();
  Node& b = AddNode();
  Pair(a, b);
  RunFor(100ms);  // Settle any simultaneous-dial replacement first.
  const size_t a_ups = a.listener.ups.size();
  const size_t b_ups = b.listener.ups.size();

  Node& stranger = AddNode();
  // Pairing: even with a fresh invite-like secret, a paired link refuses.
  identity::Invite invite;
  invite.inviter_key = a.key.public_key;
  invite.secret = crypto::SecretBytes::Random(identity::kInviteSecretSize);
  invite.addresses = {a.link.listen_address()};
  invite.expires_at_unix = NowUnix() + 3600;
  auto refused = Join(stranger, invite);
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);

  // Session: the stranger knows a's public key (so passes mac1) but is not the partner,
  // so it cannot compute the pair's mac2: dropped before any DH.
  stranger.link.SetPartner(a.AsPartner());
  RunFor(FastOptions().handshake_timeout);
  EXPECT_TRUE(stranger.listener.ups.empty());
  EXPECT_FALSE(stranger.link.IsUp());
  EXPECT_EQ(a.listener.paired.size(), 1u);
  EXPECT_EQ(a.listener.ups.size(), a_ups);
  EXPECT_EQ(b.listener.ups.size(), b_ups);
  EXPECT_TRUE(Agree(a, b));
  EXPECT_NE(AllLogs().find("not from the partner (bad mac2)"), std::string::npos);
  EXPECT_EQ(AllLogs().find("refused session from an unknown key"), std::string::npos);
  ExchangeMessages(a, b, 2);
}

TEST_F(PartnerLinkTest, HelloWithBadMac1IsDropped) {
  Node& a = AddNode();
  identity::Invite invite = OpenInvite(a);
  (void)invite;
  // A well-formed pairing hello, but with mac1 keyed for someone else.
  const auto joiner_key = crypto::KeyPair::Generate();
  const auto wrong_target = crypto::KeyPair::Generate();
  auto start = StartPairing(joiner_key, wrong_target.public_key,
                            crypto::SecretBytes::Random(identity::kInviteSecretSize));
  ASSERT_TRUE(start.ok());
  RawClient client(io_);
  client.Connect(a.link.listen_address());
  client.Send(Framed(start->hello));
  ASSERT_TRUE(RunUntil([&] { return client.closed(); }, 2s));
  EXPECT_EQ(client.received(), 0u);  // Not even message 2.
  EXPECT_TRUE(a.listener.paired.empty());
  EXPECT_NE(AllLogs().find("bad mac1"), std::string::npos);
}

TEST_F(PartnerLinkTest, GarbageAndOversizedFramesCloseTheConnectionOnly) {
  Node& a = AddNode();
  Node& b = AddNode();
  Pair(a, b);

  // A zero-length frame is a protocol error.
  RawClient zero(io_);
  zero.Connect(a.link.listen_address());
  zero.Send({0, 0, 1, 2, 3});
  // The largest frame there is, full of noise.
  RawClient biggest(io_);
  biggest.Connect(a.link.listen_address());
  biggest.Send(Framed(RandomBytes(wire::kMaxFrameBody)));
  // Plain noise.
  RawClient noise(io_);
  noise.Connect(a.link.listen_address());
  noise.Send(RandomBytes(100000));
  // A frame that never ends: the handshake timeout hangs up.
  RawClient stalled(io_);
  stalled.Connect(a.link.listen_address());
  stalled.Send({0xff, 0xff, 1, 2, 3});
  // A valid mac1 but a broken Noise message.
  RawClient broken(io_);
  broken.Connect(a.link.listen_address());
  broken.Send(Framed(BuildHello(HelloType::kSession, RandomBytes(kMinHelloMessageSize),
                                Mac1KeyFor(a.key.public_key))));

  ASSERT_TRUE(RunUntil(
      [&] {
        return zero.closed() && biggest.closed() && noise.closed() && stalled.closed() &&
               broken.closed();
      },
      3s));
  EXPECT_EQ(broken.received(), 0u);
  // The link kept serving its partner throughout.
  EXPECT_TRUE(Agree(a, b));
  ExchangeMessages(a, b, 2);
  ExchangeMessages(b, a, 2);
  EXPECT_EQ(a.link.pending_handshakes(), 0u);
}

TEST_F(PartnerLinkTest, TooManyUnauthenticatedConnectionsAreCapped) {
  LinkOptions options = FastOptions();
  options.max_pending_handshakes = 2;
  options.handshake_timeout = 2s;
  Node& a = AddNode(options);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<RawClient>(io_));
    clients.back()->Connect(a.link.listen_address());
  }
  // Three are turned away at once; two wait for their handshake timeout.
  ASSERT_TRUE(RunUntil(
      [&] {
        return std::count_if(clients.begin(), clients.end(),
                             [](const auto& c) { return c->closed(); }) == 3;
      },
      1s));
  EXPECT_EQ(a.link.pending_handshakes(), 2u);
}

// ---------------------------------------------------------------------------------------
// Sessions against a scripted partner.

class FakePartnerTest : public PartnerLinkTest {
 protected:
  void SetUp() override {
    node_ = &AddNode();
    node_->link.SetPartner(core::Partner{fake_key_.public_key, {}});
    fake_ = std::make_shared<FakePartner>(io_);
    asio::co_spawn(io_,
                   FakeDial(fake_, node_->link.listen_address(), &fake_key_, node_->key.public_key),
                   RethrowCoroutineException);
    ASSERT_TRUE(RunUntil([&] { return fake_->up || fake_->closed; }));
    ASSERT_TRUE(fake_->up) << fake_->failure.ToString();
  }
  void TearDown() override {
    boost::system::error_code ec;
    fake_->socket.close(ec);
    PartnerLinkTest::TearDown();
  }

  // The first transport message confirms the keys; only then is the link up.
  void Confirm() {
    EXPECT_FALSE(node_->link.IsUp());
    PeerMessage keepalive;
    keepalive.mutable_keepalive();
    FakeSend(*fake_, keepalive);
    ASSERT_TRUE(RunUntil([&] { return node_->listener.up; }));
  }

  crypto::KeyPair fake_key_ = crypto::KeyPair::Generate();
  Node* node_ = nullptr;
  std::shared_ptr<FakePartner> fake_;
};

TEST_F(FakePartnerTest, UnconfirmedSessionIsNotUsedAndTimesOut) {
  RunFor(FastOptions().handshake_timeout + 200ms);
  EXPECT_TRUE(node_->listener.ups.empty());
  EXPECT_TRUE(fake_->closed);
}

TEST_F(FakePartnerTest, SilentPartnerIsDeclaredDeadAndKeepalivesFlow) {
  Confirm();
  ASSERT_TRUE(RunUntil([&] { return !node_->listener.downs.empty(); }, 2s));
  EXPECT_NE(node_->listener.downs[0].find("nothing received"), std::string::npos);
  EXPECT_FALSE(node_->link.IsUp());
  // It sent Addresses and, while idle, keepalives before giving up.
  EXPECT_GE(fake_->keepalives, 2);
}

TEST_F(FakePartnerTest, UnknownKindIsPassedOnNotFatal) {
  Confirm();
  PeerMessage unknown;  // No kind set: what a newer partner's new message looks like here.
  FakeSend(*fake_, unknown);
  FakeSend(*fake_, DeliverMessage(1, "after the unknown one"));
  ASSERT_TRUE(RunUntil([&] { return node_->listener.DeliveredCount() == 1; }));
  ASSERT_EQ(node_->listener.messages.size(), 2u);
  EXPECT_EQ(node_->listener.messages[0].kind_case(), PeerMessage::KIND_NOT_SET);
  EXPECT_TRUE(node_->link.IsUp());
}

TEST_F(FakePartnerTest, UnparsablePlaintextClosesTheSession) {
  Confirm();
  const crypto::Bytes not_a_message = {0xff, 0xff, 0xff};
  FakeSendRaw(*fake_, not_a_message);
  ASSERT_TRUE(RunUntil([&] { return !node_->listener.downs.empty(); }));
  EXPECT_NE(node_->listener.downs[0].find("protocol error"), std::string::npos);
}

TEST_F(FakePartnerTest, FrameThatFailsToDecryptClosesTheSession) {
  Confirm();
  asio::write(fake_->socket, asio::buffer(Framed(RandomBytes(64))));
  ASSERT_TRUE(RunUntil([&] { return !node_->listener.downs.empty(); }));
  EXPECT_NE(node_->listener.downs[0].find("failed to decrypt"), std::string::npos);
  ASSERT_TRUE(RunUntil([&] { return fake_->closed; }));
}

// ---------------------------------------------------------------------------------------
// One session, and coming back.

TEST_F(PartnerLinkTest, SimultaneousDialLeavesExactlyOneSession) {
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Node& a = AddNode();
    Node& b = AddNode();
    // Both start dialing before either runs: their hellos cross.
    a.link.SetPartner(b.AsPartner());
    b.link.SetPartner(a.AsPartner());
    ASSERT_TRUE(RunUntil([&] { return Agree(a, b); }));
    // The other dial may still be on its way; after it had its chance, both sides must
    // agree on one session, and stay on it.
    RunFor(FastOptions().handshake_timeout);
    ASSERT_TRUE(Agree(a, b));
    const auto agreed = a.link.live_session();
    RunFor(150ms);
    ASSERT_TRUE(Agree(a, b));
    EXPECT_EQ(a.link.live_session()->local_address, agreed->local_address);
    EXPECT_EQ(a.link.live_session()->remote_address, agreed->remote_address);
    EXPECT_EQ(a.link.pending_handshakes(), 0u);
    EXPECT_EQ(b.link.pending_handshakes(), 0u);
    // Both dialed within the window, so the lower key's session won.
    EXPECT_EQ(agreed->initiator_key, std::min(a.key.public_key, b.key.public_key));
    EXPECT_TRUE(a.listener.downs.empty());
    EXPECT_TRUE(b.listener.downs.empty());
    ExchangeMessages(a, b, 4);
    ExchangeMessages(b, a, 4);
    RemoveNode(a);
    RemoveNode(b);
  }
}

TEST_F(PartnerLinkTest, StoppedPartnerGoesDownAndReconnectsAfterRestart) {
  Node& a = AddNode();
  Node& b = AddNode();
  Pair(a, b);
  const std::string b_address = b.link.listen_address();
  crypto::KeyPair b_key = CopyOf(b.key);
  const core::Partner a_partner = a.AsPartner();

  RemoveNode(b);
  ASSERT_TRUE(RunUntil([&] { return !a.listener.up; }, 2s));
  EXPECT_FALSE(a.listener.downs.empty());
  EXPECT_FALSE(a.link.IsUp());
  // a keeps redialing (with backoff) while b is away.
  RunFor(100ms);

  // b comes back on the same address, with the same key and partner.
  Node& b2 = AddNode(FastOptions(), nullptr, std::move(b_key), b_address);
  b2.link.SetPartner(a_partner);
  ASSERT_TRUE(RunUntil([&] { return Agree(a, b2); }));
  ExchangeMessages(a, b2, 3);
  ExchangeMessages(b2, a, 3);
}

TEST_F(PartnerLinkTest, LowerKeyReHandshakesAndTheNewSessionTakesOver) {
  LinkOptions options = FastOptions();
  options.rehandshake_after = 300ms;
  Node& a = AddNode(options);
  Node& b = AddNode(options);
  a.link.SetPartner(b.AsPartner());
  b.link.SetPartner(a.AsPartner());
  ASSERT_TRUE(RunUntil([&] { return Agree(a, b); }));
  const auto first = a.link.live_session();
  const size_t ups = a.listener.ups.size();
  // A different TCP connection (the responder's local address stays the same).
  ASSERT_TRUE(RunUntil(
      [&] {
        auto now = a.link.live_session();
        return now &&
               (now->local_address != first->local_address ||
                now->remote_address != first->remote_address) &&
               Agree(a, b);
      },
      3s));
  EXPECT_GT(a.listener.ups.size(), ups);  // OnLinkUp again on replacement.
  EXPECT_TRUE(a.listener.downs.empty());  // Never down in between.
  EXPECT_EQ(a.link.live_session()->initiator_key, std::min(a.key.public_key, b.key.public_key));
  ExchangeMessages(a, b, 2);
}

TEST_F(PartnerLinkTest, UnpairingClosesTheSessionAndStopsDialing) {
  Node& a = AddNode();
  Node& b = AddNode();
  Pair(a, b);
  a.link.SetPartner(std::nullopt);
  ASSERT_TRUE(RunUntil([&] { return !a.listener.up && !b.listener.up; }, 2s));
  EXPECT_FALSE(a.link.SendToPartner(DeliverMessage(1, "too late")));
  // b keeps dialing, a refuses: no session comes back.
  RunFor(300ms);
  EXPECT_FALSE(a.link.IsUp());
  EXPECT_FALSE(b.link.IsUp());
}

TEST_F(PartnerLinkTest, LogsNeverCarryKeysSecretsOrText) {
  Node& a = AddNode();
  Node& b = AddNode();
  identity::Invite invite = OpenInvite(a);
  const std::string secret_hex = crypto::ToHex(invite.secret.span());
  ASSERT_TRUE(Join(b, invite).ok());
  ASSERT_TRUE(RunUntil([&] { return Agree(a, b); }));
  ExchangeMessages(a, b, 1);
  const std::string logs = AllLogs();
  EXPECT_EQ(logs.find(crypto::ToHex(a.key.public_key)), std::string::npos);
  EXPECT_EQ(logs.find(crypto::ToHex(b.key.public_key)), std::string::npos);
  EXPECT_EQ(logs.find(secret_hex), std::string::npos);
  EXPECT_EQ(logs.find("message 1"), std::string::npos);
}

}  // namespace
}  // namespace inmost::peer
