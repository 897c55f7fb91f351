// The join's report of what happened at each address, and which addresses count as
// reachable from another machine or too short-lived to tell the partner
// (peer/join_report.h, peer/local_addresses.h).
#include <gtest/gtest.h>

#include "daemon/peer/join_report.h"
#include "daemon/peer/local_addresses.h"

namespace inmost::peer {
namespace {

using namespace std::chrono_literals;
using What = JoinAttemptReport::What;
namespace ip = boost::asio::ip;

TEST(LocalAddressesTest, LoopbackLinkLocalAndUnspecifiedAreNotReachableFromElsewhere) {
  for (const char* text : {"127.0.0.1", "127.1.2.3", "169.254.10.20", "0.0.0.0", "::1",
                           "fe80::1", "::", "::ffff:127.0.0.1", "::ffff:169.254.1.1"}) {
    EXPECT_FALSE(ReachableFromElsewhere(ip::make_address(text))) << text;
  }
  for (const char* text : {"192.168.1.20", "10.0.0.1", "203.0.113.5", "2001:db8::1", "fd00::1",
                           "::ffff:192.168.1.20"}) {
    EXPECT_TRUE(ReachableFromElsewhere(ip::make_address(text))) << text;
  }
}

TEST(LocalAddressesTest, AListenAddressIsReachableOnlyWhenItsHostIs) {
  EXPECT_TRUE(ReachableAddressesOf("127.0.0.1:7433").empty());
  EXPECT_TRUE(ReachableAddressesOf("[::1]:7433").empty());
  EXPECT_TRUE(ReachableAddressesOf("[fe80::1]:7433").empty());
  EXPECT_EQ(ReachableAddressesOf("192.168.1.20:7433"),
            std::vector<std::string>{"192.168.1.20:7433"});
  // 0.0.0.0 takes IPv4 only: no IPv6 address is offered for it.
  for (const auto& address : ReachableAddressesOf("0.0.0.0:7433")) {
    EXPECT_NE(address.front(), '[') << address;
  }
  // A wildcard: this machine's interfaces, never a loopback or link-local one.
  for (const auto& address : ReachableAddressesOf("[::]:7433")) {
    EXPECT_TRUE(address.ends_with(":7433")) << address;
    EXPECT_NE(address.rfind("127.", 0), 0u) << address;
    EXPECT_NE(address.rfind("[::1]", 0), 0u) << address;
    EXPECT_NE(address.rfind("[fe80", 0), 0u) << address;
    EXPECT_NE(address.rfind("169.254.", 0), 0u) << address;
  }
}

TEST(LocalAddressesTest, ShortLivedIPv6AddressesAreTheFlaggedOnes) {
  // /proc/net/if_inet6: address, interface index, prefix length, scope, flags, name.
  const std::string table =
      "20010db8000000000000000000000001 02 40 00 80     eth0\n"   // Permanent.
      "20010db8000000000000000000000002 02 40 00 01     eth0\n"   // Temporary.
      "20010db8000000000000000000000003 02 40 00 20     eth0\n"   // Deprecated.
      "20010db8000000000000000000000004 02 40 00 40     eth0\n"   // Tentative.
      "20010db8000000000000000000000005 02 40 00 08     eth0\n"   // Failed DAD.
      "20010db8000000000000000000000006 02 40 00 00     eth0\n"   // No flags.
      "20010DB80000000000000000000000A7 03 40 00 81     wlan0\n"  // Temporary too.
      "fe800000000000000000000000000001 02 40 20 80     eth0\n"
      "\n"
      // Malformed lines, each would be short-lived by its flags: ignored, not thrown on.
      "20010db8000000000000000000000b1 02 40 00 01     eth0\n"    // 31 digits.
      "20010db80000000000000000000000b22 02 40 00 01     eth0\n"  // 33 digits.
      "2001zdb80000000000000000000000b3 02 40 00 01     eth0\n"   // Not hex.
      "20010db80000000000000000000000b4 02 40 00\n"               // No flags.
      "20010db80000000000000000000000b5 02 40 00 zz     eth0\n"
      "20010db80000000000000000000000b6 02 40 00 100000001 eth0\n"  // Over 32 bits.
      "20010db80000000000000000000000b7 02 40 00 -1     eth0";
  std::vector<std::string> found;
  for (const auto& address : ShortLivedIPv6Addresses(table)) found.push_back(address.to_string());
  EXPECT_EQ(found, (std::vector<std::string>{"2001:db8::2", "2001:db8::3", "2001:db8::4",
                                             "2001:db8::5", "2001:db8::a7"}));
  EXPECT_TRUE(ShortLivedIPv6Addresses("").empty());
}

TEST(JoinReportTest, EachOutcomeIsOneLineNamingTheAddress) {
  const std::string a = "192.0.2.7:7433";
  auto line = [&](What what, bool connected = false, std::string detail = "") {
    return DescribeJoinAttempt(JoinAttemptReport{a, what, std::move(detail), connected}, 5000ms);
  };
  EXPECT_EQ(line(What::kCannotConnect, false, "cannot connect to " + a + ": Connection refused"),
            a + ": cannot connect: Connection refused");
  EXPECT_EQ(line(What::kCannotConnect, false, "cannot resolve " + a + ": Host not found"),
            a + ": cannot resolve it: Host not found");
  EXPECT_EQ(line(What::kCannotConnect, false, "the proxy could not reach " + a + ": refused"),
            a + ": the proxy could not reach " + a + ": refused");
  EXPECT_EQ(line(What::kTimedOut), a + ": no connection within 5 s (timed out)");
  EXPECT_EQ(line(What::kTimedOut, true), a + ": connected, but no answer within 5 s (timed out)");
  EXPECT_EQ(DescribeJoinAttempt(JoinAttemptReport{a, What::kTimedOut, "", false}, 1500ms),
            a + ": no connection within 1500 ms (timed out)");
  EXPECT_EQ(line(What::kThisDaemon),
            a + ": answered, but it is not the daemon that made this invite (it is this daemon "
                "itself)");
  EXPECT_EQ(line(What::kRefused), a + ": the inviter refused this code: it was used or has expired");
  EXPECT_EQ(line(What::kFailed, true, "read failed: boom"),
            a + ": the handshake failed: read failed: boom");
}

TEST(JoinReportTest, TheErrorIsARefusalOnlyWhenTheInviterRefused) {
  std::vector<JoinAttemptReport> reports = {{"192.0.2.7:7433", What::kTimedOut, "", true},
                                            {"198.51.100.1:7433", What::kNotTheInviter, "", true}};
  Status unreachable = JoinFailed(reports, 5000ms);
  EXPECT_EQ(unreachable.code(), Code::kUnavailable);
  EXPECT_EQ(unreachable.message().rfind("could not join; at each address in the invite:\n  "
                                        "192.0.2.7:7433: connected",
                                        0),
            0u)
      << unreachable.message();
  reports.push_back({"203.0.113.9:7433", What::kWrongSecret, "", true});
  Status refused = JoinFailed(reports, 5000ms);
  EXPECT_EQ(refused.code(), Code::kPermissionDenied);
  EXPECT_NE(refused.message().find("\n  203.0.113.9:7433: the inviter refused this code: its "
                                   "open invite is a newer one\nAsk your partner for a new code"),
            std::string::npos)
      << refused.message();
}

}  // namespace
}  // namespace inmost::peer
