// Tests of the dialer's race (RFC 8305, dialer.h): the partner's candidates are dialled
// staggered and concurrently, the first completed handshake wins and the others are
// closed. Real links on loopback (partner_link_harness.h).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "daemon/peer/address.h"
#include "daemon/peer/route.h"
#include "tests/unit/partner_link_harness.h"

namespace inmost::peer {
namespace {

using namespace link_testing;

// A TCP server that accepts and never answers, as a host that takes the connection and
// then stalls: a candidate that would hold a one-by-one dialler until its timeout. It
// counts the connections it took and how many of them the dialler closed.
struct SilentServer {
  explicit SilentServer(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    Accept();
  }
  std::string address() const { return FormatEndpoint(acceptor.local_endpoint()); }

  void Accept() {
    auto socket = std::make_shared<tcp::socket>(acceptor.get_executor());
    acceptor.async_accept(*socket, [this, socket](const boost::system::error_code& ec) {
      if (ec) return;
      ++accepted;
      WaitForClose(socket);
      Accept();
    });
  }
  void WaitForClose(std::shared_ptr<tcp::socket> socket) {
    auto buffer = std::make_shared<std::array<uint8_t, 4096>>();
    socket->async_read_some(asio::buffer(*buffer),
                            [this, socket, buffer](const boost::system::error_code& ec, size_t) {
                              if (ec) {
                                ++closed;
                                return;
                              }
                              WaitForClose(socket);
                            });
  }

  tcp::acceptor acceptor;
  int accepted = 0;
  int closed = 0;
};

class DialRaceTest : public PartnerLinkTest {
 protected:
  // A hanging candidate would hold a one-by-one dial this long.
  static LinkOptions PatientOptions() {
    LinkOptions options = FastOptions();
    options.handshake_timeout = 20s;
    return options;
  }

  std::optional<SilentServer> silent_;  // After io_, which it uses; before it, gone.
};

TEST_F(DialRaceTest, TheNextCandidateRacesWhileTheFirstHangsAndTheLoserIsClosed) {
  Node& a = AddNode(PatientOptions());
  Node& b = AddNode(PatientOptions());
  silent_.emplace(io_);
  // Only b dials: the stalling address first, a's real one second.
  a.link.SetPartner(core::Partner{b.key.public_key, {}});
  b.link.SetPartner(core::Partner{a.key.public_key, {silent_->address(), a.address}});

  const auto start = SteadyClock::now();
  ASSERT_TRUE(RunUntil([&] { return Agree(a, b); }, 10s));
  // Up long before the stalled attempt's own timeout: the second did not wait for it.
  EXPECT_LT(SteadyClock::now() - start, PatientOptions().handshake_timeout / 2);
  EXPECT_EQ(silent_->accepted, 1);
  // The loser is closed once the winner is in, not left to its timeout.
  EXPECT_TRUE(RunUntil([&] { return silent_->closed == 1; }, 5s));
  EXPECT_EQ(b.link.pending_handshakes(), 0u);
  ExchangeMessages(b, a, 3);
  ExchangeMessages(a, b, 3);
}

TEST_F(DialRaceTest, WhereThePartnerWasJustSeenJoinsTheRoundUnderWayAtOnce) {
  Node& a = AddNode(PatientOptions());
  Node& b = AddNode(PatientOptions());
  silent_.emplace(io_);
  a.link.SetPartner(core::Partner{b.key.public_key, {}});
  // b knows only a stalling address: its round hangs there.
  b.link.SetPartner(core::Partner{a.key.public_key, {silent_->address()}});
  ASSERT_TRUE(RunUntil([&] { return silent_->accepted == 1; }, 5s));

  // A LAN beacon says where a is: dialled now, beside the hanging attempt.
  const auto seen = SteadyClock::now();
  EXPECT_TRUE(b.link.PartnerSeenAt(a.address));
  ASSERT_TRUE(RunUntil([&] { return Agree(a, b); }, 10s));
  EXPECT_LT(SteadyClock::now() - seen, PatientOptions().handshake_timeout / 2);
  EXPECT_TRUE(RunUntil([&] { return silent_->closed == 1; }, 5s));
  // It goes first among a's addresses (and to the store), and is not dialled twice.
  EXPECT_EQ(b.link.PartnerSeenAt(a.address), false);  // Up now: nothing to do.
  ExchangeMessages(b, a, 2);
}

TEST(Route, DirectCandidatesKeepTheirOrderAndDropOnions) {
  const std::string onion = std::string(56, 'a') + ".onion:7433";
  EXPECT_EQ(DirectCandidates({"10.0.0.1:1", onion, "h.example:2"}),
            (std::vector<std::string>{"10.0.0.1:1", "h.example:2"}));
  EXPECT_TRUE(DirectCandidates({onion}).empty());
}

}  // namespace
}  // namespace inmost::peer
