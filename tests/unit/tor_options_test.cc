// The Tor options of `inmostd run` (tor, tor-control, tor-torrc, tor-only), what tor-only
// does to the listener, and how the link routes a dial (peer/route.h): onion addresses
// through Tor's SOCKS port, direct ones never under tor-only.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/codec/tor/tor_options.h"
#include "daemon/config/command_line.h"
#include "daemon/peer/route.h"

namespace inmost {
namespace {

constexpr char kOnion[] = "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:7433";

Result<config::Command> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), {"inmostd", "run", "--data-dir", "/tmp/inmost-tor-options-test"});
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  return config::ParseCommandLine(static_cast<int>(argv.size()), argv.data(),
                                  [](const char*) -> const char* { return nullptr; });
}

TEST(TorRunOptions, DefaultIsAutoOnTheSystemsControlSocket) {
  auto command = Parse({});
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_EQ(command->daemon.tor.mode, tor::TorMode::kAuto);
  EXPECT_EQ(command->daemon.tor.control, "unix:/run/tor/control");
  EXPECT_FALSE(command->daemon.tor.only);
  EXPECT_FALSE(command->daemon.link.tor_only);
  // A daemon built by a program or a test starts no Tor unless it asks.
  EXPECT_EQ(DaemonOptions{}.tor.mode, tor::TorMode::kOff);
}

TEST(TorRunOptions, TakesEachModeAndRefusesOthers) {
  for (auto [text, mode] : {std::pair{"auto", tor::TorMode::kAuto},
                            std::pair{"system", tor::TorMode::kSystem},
                            std::pair{"launch", tor::TorMode::kLaunch},
                            std::pair{"off", tor::TorMode::kOff}}) {
    auto command = Parse({"--tor", text});
    ASSERT_TRUE(command.ok()) << command.status().ToString();
    EXPECT_EQ(command->daemon.tor.mode, mode);
    EXPECT_EQ(tor::TorModeName(mode), text);
  }
  auto bad = Parse({"--tor", "yes"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "--tor must be auto, system, launch or off");
}

TEST(TorRunOptions, TorOnlyListensOnLoopbackAndNeedsATor) {
  auto command = Parse({"--tor-only", "on", "--tor", "launch", "--tor-torrc", "/etc/x.torrc"});
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_TRUE(command->daemon.tor.only);
  EXPECT_TRUE(command->daemon.link.tor_only);
  EXPECT_EQ(command->daemon.listen, "127.0.0.1:7433");
  EXPECT_EQ(command->daemon.tor.torrc, "/etc/x.torrc");

  auto loopback = Parse({"--tor-only", "on", "--listen", "[::1]:9000"});
  ASSERT_TRUE(loopback.ok()) << loopback.status().ToString();
  EXPECT_EQ(loopback->daemon.listen, "[::1]:9000");

  auto open = Parse({"--tor-only", "on", "--listen", "[::]:7433"});
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.status().message(),
            "--tor-only on listens on loopback only, and --listen [::]:7433 is not a loopback "
            "address (try 127.0.0.1:7433)");

  auto no_tor = Parse({"--tor-only", "on", "--tor", "off"});
  ASSERT_FALSE(no_tor.ok());
  EXPECT_EQ(no_tor.status().message(),
            "--tor-only on needs a Tor: leave --tor at auto, or set system or launch");
  auto maybe = Parse({"--tor-only", "maybe"});
  ASSERT_FALSE(maybe.ok());
  EXPECT_EQ(maybe.status().message(), "--tor-only must be on or off");
}

TEST(OnionAddress, TellsOnionHostsApart) {
  EXPECT_TRUE(tor::IsOnionAddress(kOnion));
  EXPECT_TRUE(tor::IsOnionAddress("ABC.ONION:1"));
  EXPECT_TRUE(tor::IsOnionAddress("abc.onion"));
  EXPECT_FALSE(tor::IsOnionAddress(".onion:7433"));
  EXPECT_FALSE(tor::IsOnionAddress("onion:7433"));
  EXPECT_FALSE(tor::IsOnionAddress("example.onion.net:7433"));
  EXPECT_FALSE(tor::IsOnionAddress("127.0.0.1:7433"));
}

TEST(Route, DirectDirectlyOnionThroughTor) {
  peer::RoutePolicy policy;
  policy.direct_timeout = std::chrono::milliseconds(5000);
  auto direct = peer::RouteTo(policy, "192.0.2.1:7433");
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->proxy, "");
  EXPECT_EQ(direct->timeout, std::chrono::milliseconds(5000));

  auto no_tor = peer::RouteTo(policy, kOnion);
  ASSERT_FALSE(no_tor.ok());
  EXPECT_EQ(no_tor.status().code(), Code::kUnavailable);
  EXPECT_NE(no_tor.status().message().find("this daemon's Tor is not ready"), std::string::npos);

  policy.tor_socks = "127.0.0.1:9050";
  auto onion = peer::RouteTo(policy, kOnion);
  ASSERT_TRUE(onion.ok());
  EXPECT_EQ(onion->proxy, "127.0.0.1:9050");
  EXPECT_EQ(onion->timeout, peer::kOnionHandshakeTimeout);

  // The user's proxy takes every dial, onion ones too.
  policy.proxy = "127.0.0.1:1080";
  EXPECT_EQ(peer::RouteTo(policy, kOnion)->proxy, "127.0.0.1:1080");
  EXPECT_EQ(peer::RouteTo(policy, "192.0.2.1:7433")->proxy, "127.0.0.1:1080");
}

TEST(Route, TorOnlyNeverDialsDirect) {
  peer::RoutePolicy policy;
  policy.tor_socks = "127.0.0.1:9050";
  policy.tor_only = true;
  auto direct = peer::RouteTo(policy, "192.0.2.1:7433");
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.status().message(), "tor-only: not dialling the direct address 192.0.2.1:7433");
  policy.proxy = "127.0.0.1:1080";
  EXPECT_FALSE(peer::RouteTo(policy, "192.0.2.1:7433").ok());
  EXPECT_TRUE(peer::RouteTo(policy, kOnion).ok());
}

TEST(Route, DialOrderPutsDirectFirstAndTorOnlyKeepsOnions) {
  const std::vector<std::string> given = {kOnion, "192.0.2.1:7433", "b.onion:7433",
                                          "[2001:db8::1]:7433"};
  EXPECT_EQ(peer::DialOrder(given, false),
            (std::vector<std::string>{"192.0.2.1:7433", "[2001:db8::1]:7433", kOnion,
                                      "b.onion:7433"}));
  EXPECT_EQ(peer::DialOrder(given, true), (std::vector<std::string>{kOnion, "b.onion:7433"}));
}

TEST(Route, LoopbackListen) {
  EXPECT_TRUE(peer::IsLoopbackListen("127.0.0.1:7433"));
  EXPECT_TRUE(peer::IsLoopbackListen("127.0.0.5:0"));
  EXPECT_TRUE(peer::IsLoopbackListen("[::1]:7433"));
  EXPECT_TRUE(peer::IsLoopbackListen("localhost:7433"));
  EXPECT_FALSE(peer::IsLoopbackListen("[::]:7433"));
  EXPECT_FALSE(peer::IsLoopbackListen("0.0.0.0:7433"));
  EXPECT_FALSE(peer::IsLoopbackListen("192.0.2.1:7433"));
  EXPECT_FALSE(peer::IsLoopbackListen("nonsense"));
}

}  // namespace
}  // namespace inmost
