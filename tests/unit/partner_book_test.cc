// The partner book and the partnership without sockets (test_pairing.py end to
// end): the partner and the one open invite survive restarts, pairing burns the
// invite, an invite expires on its second to the millisecond, and unpairing keeps
// the history (or forgets it when asked). The peer link is built but never
// listens or dials: only what the partnership asks of it without a network.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "daemon/crypto/bytes.h"
#include "daemon/partnership.h"
#include "daemon/peer/partner_link.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

namespace asio = boost::asio;
using control::Message;

core::Partner SomePartner(std::vector<std::string> addresses = {"p.example:7433"}) {
  core::Partner partner;
  partner.static_key = crypto::KeyPair::Generate().public_key;
  partner.addresses = std::move(addresses);
  return partner;
}

class NoListener final : public core::LinkListener {
 public:
  void OnLinkUp(const std::string&) override {}
  void OnLinkDown(const std::string&) override {}
  void OnPeerMessage(const peer::PeerMessage&) override {}
  Status OnPaired(const core::Partner&) override { return Status::Ok(); }
  void OnPartnerAddresses(const std::vector<std::string>&) override {}
};

// Runs the coroutine `make()` returns on `side`'s io_context to its result.
template <typename T>
Result<T> RunOn(CoreSide& side, std::function<asio::awaitable<Result<T>>()> make) {
  std::optional<Result<T>> result;
  asio::co_spawn(
      side.io(), [&]() -> asio::awaitable<void> { result.emplace(co_await make()); },
      asio::detached);
  if (!side.RunUntil([&] { return result.has_value(); })) return Unavailable("no result");
  return std::move(*result);
}

TEST(PartnerBookTest, ThePartnerAndTheOpenInviteSurviveRestartsAndPairingBurnsIt) {
  core::ManualClock clock(kCoreStartUnixMs);
  CoreSide side("a", clock);
  ASSERT_TRUE(side.Open().ok());
  auto first = side->partners.CreateInvite(1000);
  ASSERT_TRUE(first.ok());
  auto second = side->partners.CreateInvite(2000);  // Replaces the first.
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(side.Restart(/*crash=*/true).ok());
  auto open = side->partners.LoadInvite();
  ASSERT_TRUE(open.ok() && open->has_value());
  EXPECT_EQ((*open)->expires_at_unix, 2000);
  EXPECT_EQ(crypto::ToString((*open)->secret.span()), crypto::ToString(second->secret.span()));

  core::Partner partner = SomePartner();
  ASSERT_TRUE(side->partners.Pair(partner, clock.NowUnixMs()).ok());
  ASSERT_TRUE(side.Restart(/*crash=*/true).ok());
  ASSERT_TRUE(side->partners.partner().has_value());
  EXPECT_EQ(side->partners.partner()->static_key, partner.static_key);
  EXPECT_FALSE(side->partners.LoadInvite()->has_value());
  // Paired, nobody else pairs and no invite is made.
  EXPECT_EQ(side->partners.Pair(SomePartner(), 0).code(), Code::kFailedPrecondition);
  EXPECT_EQ(side->partners.CreateInvite(3000).status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(side->partners.Pair(partner, 0).ok());  // The same one again is no change.

  ASSERT_TRUE(side->partners.SetAddresses({"new.example:7433", "p.example:7433"}).ok());
  ASSERT_TRUE(side.Restart().ok());
  EXPECT_EQ(side->partners.partner()->addresses,
            (std::vector<std::string>{"new.example:7433", "p.example:7433"}));
  ASSERT_TRUE(side->partners.Forget(records::PairingEndedRecord()).ok());
  ASSERT_TRUE(side.Restart().ok());
  EXPECT_FALSE(side->partners.partner().has_value());
}

TEST(PartnerBookTest, APairingThatCannotBeWrittenChangesNothing) {
  core::ManualClock clock(kCoreStartUnixMs);
  CoreSide side("a", clock);
  ASSERT_TRUE(side.Open().ok());
  ASSERT_TRUE(side->partners.CreateInvite(5000).ok());
  {
    DiskLimit full;
    EXPECT_FALSE(side->partners.Pair(SomePartner(), clock.NowUnixMs()).ok());
    EXPECT_FALSE(side->partners.partner().has_value());
  }
  EXPECT_TRUE(side->partners.LoadInvite()->has_value());
  ASSERT_TRUE(side.Restart().ok());
  EXPECT_FALSE(side->partners.partner().has_value());
  EXPECT_TRUE(side->partners.LoadInvite()->has_value());
}

// A side with the partnership wired as Daemon wires it, over a link that never
// touches the network.
class PartnershipTest : public CorePairTest {
 protected:
  void SetUp() override {
    CorePairTest::SetUp();
    Build();
  }
  // The partnership and its link go before a's io_context does (a restart).
  void Drop() {
    partnership_.reset();
    link_.reset();
  }
  void Build() {
    Drop();
    link_ = std::make_unique<peer::PartnerLink>(a().io(), a().identity(), listener_, pair_.clock(),
                                                log_);
    CoreParts& p = a().parts();
    partnership_ = std::make_unique<Partnership>(
        a().io(), p.partners, *link_,
        PartnerState{p.conversation, p.boundaries, p.files, p.envelopes, p.nudges, p.memories,
                     p.drafts, p.commit},
        a().identity(), p.events, pair_.clock(), log_,
        [] { return std::vector<std::string>{"a.example:7433"}; },
        []() -> boost::asio::awaitable<Result<InviteAddressing>> {
          std::vector<std::string> addresses = {"a.example:7433"};
          co_return InviteAddressing{std::move(addresses), ""};
        });
  }
  Result<control::InviteReply> Invite(const control::InviteRequest& request) {
    return RunOn<control::InviteReply>(a(), [&] { return partnership_->MakeInvite(request); });
  }
  Result<control::JoinReply> Join(const std::string& code) {
    control::JoinRequest request;
    request.set_code(code);
    return RunOn<control::JoinReply>(a(), [&] { return partnership_->Join(request); });
  }
  // Unpairs, lets the PairingEnded item reach b and its acknowledgement come back,
  // and hands that on as Daemon does: a is then unpaired.
  void UnpairAndTell() {
    ASSERT_TRUE(Unpair(true, false).ok());
    pair_.Settle();
    partnership_->OnAllAcknowledged();
    ASSERT_FALSE(a()->partners.partner().has_value());
  }
  Result<control::UnpairReply> Unpair(bool confirm, bool forget_history) {
    control::UnpairRequest request;
    request.set_confirm(confirm);
    request.set_forget_history(forget_history);
    return RunOn<control::UnpairReply>(a(), [&] { return partnership_->Unpair(request); });
  }

  std::ostringstream lines_;
  log::Logger log_{lines_};
  NoListener listener_;
  std::unique_ptr<peer::PartnerLink> link_;
  std::unique_ptr<Partnership> partnership_;
};

TEST_F(PartnershipTest, AnInviteExpiresOnItsSecondToTheMillisecond) {
  UnpairAndTell();
  pair_.Advance(std::chrono::milliseconds(250));  // Mid-second: the expiry is whole seconds.
  const int64_t now_s = pair_.clock().NowUnixMs() / 1000;
  control::InviteRequest request;
  request.set_expires_in_seconds(60);
  auto invite = Invite(request);
  ASSERT_TRUE(invite.ok()) << invite.status().ToString();
  EXPECT_EQ(invite->expires_at_unix(), now_s + 60);
  EXPECT_TRUE(a()->partners.LoadInvite()->has_value());

  // Our own invite is refused as such while it is valid, and as expired from its
  // second on (checked before anything is dialled).
  pair_.Advance(std::chrono::milliseconds((now_s + 60) * 1000 - pair_.clock().NowUnixMs() - 1));
  EXPECT_EQ(Join(invite->code()).status().code(), Code::kInvalidArgument);
  pair_.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(Join(invite->code()).status().code(), Code::kExpired);

  request.set_expires_in_seconds(30 * 24 * 3600);
  EXPECT_TRUE(Invite(request).ok());
  request.set_expires_in_seconds(30 * 24 * 3600 + 1);
  EXPECT_EQ(Invite(request).status().code(), Code::kInvalidArgument);
}

TEST_F(PartnershipTest, UnpairingForgetsThePartnerOnceToldAndKeepsTheHistory) {
  ASSERT_TRUE(b().Send("kept").ok());
  pair_.Settle();
  EXPECT_EQ(Unpair(false, false).status().code(), Code::kInvalidArgument);
  control::InviteRequest invite;
  EXPECT_EQ(Invite(invite).status().code(), Code::kFailedPrecondition);
  pair_.LinkDown();
  auto unpaired = Unpair(true, false);
  ASSERT_TRUE(unpaired.ok()) << unpaired.status().ToString();
  EXPECT_FALSE(unpaired->partner_told());
  // Until the partner's daemon knows, the partner is kept (so the link can tell
  // them), and nothing else may be sent; a restart keeps it so.
  EXPECT_TRUE(a()->partners.partner().has_value());
  EXPECT_NE(a()->partners.ending_since(), 0);
  EXPECT_EQ(partnership_->CanReachPartner().code(), Code::kFailedPrecondition);
  Drop();
  ASSERT_TRUE(a().Restart().ok());
  Build();
  EXPECT_NE(a()->partners.ending_since(), 0);
  pair_.LinkUp();
  pair_.Settle();
  partnership_->OnAllAcknowledged();  // Daemon wires the conversation's hook to it.
  EXPECT_FALSE(a()->partners.partner().has_value());
  ASSERT_TRUE(a()->partners.ended().has_value());
  EXPECT_TRUE(a()->partners.ended()->partner_told());
  EXPECT_FALSE(a()->partners.ended()->by_partner());
  EXPECT_EQ(a().Texts(Message::INCOMING), std::vector<std::string>{"kept"});
  EXPECT_EQ(Unpair(true, false).status().code(), Code::kFailedPrecondition);
  Drop();
  ASSERT_TRUE(a().Restart().ok());
  Build();
  EXPECT_FALSE(a()->partners.partner().has_value());
  EXPECT_EQ(a().Texts(Message::INCOMING), std::vector<std::string>{"kept"});
}

TEST_F(PartnershipTest, UnpairingCanForgetTheWholeHistoryAndWithdrawWhatIsSealed) {
  ASSERT_TRUE(b().Send("from b").ok());
  control::SendRequest sealed;
  sealed.set_text("sealed words");
  sealed.set_gentle(true);
  auto envelope = a().Send(sealed);
  ASSERT_TRUE(envelope.ok());
  control::Request draft;
  draft.mutable_draft()->set_set(true);
  draft.mutable_draft()->set_text("a draft begun for them");
  ASSERT_TRUE(a().Call(draft).ok());
  pair_.Settle();
  pair_.LinkDown();
  auto unpaired = Unpair(true, true);
  ASSERT_TRUE(unpaired.ok()) << unpaired.status().ToString();
  EXPECT_FALSE(unpaired->partner_asked());
  EXPECT_GE(unpaired->forgotten(), 1u);
  EXPECT_TRUE(StoreLacks(a(), "from b"));
  EXPECT_TRUE(StoreLacks(a(), "sealed words"));
  // The draft was written to them: it goes with the history.
  EXPECT_EQ(a()->drafts.draft().text(), "");
  EXPECT_TRUE(StoreLacks(a(), "a draft begun for them"));
}

}  // namespace
}  // namespace inmost::test
