// The web client's server without sockets: the token, Host and Origin checks, the
// request target's reading, --listen, the embedded files' types and the QR code.
#include "web/server/web_gate.h"

#include <gtest/gtest.h>

#include <string>

#include "web/server/listen_address.h"
#include "web/server/page_assets.h"
#include "web/server/qr_svg.h"
#include "web/server/request_target.h"

namespace inmost::web {
namespace {

namespace ip = boost::asio::ip;

WebGate LoopbackGate(unsigned short port = 8080) {
  return WebGate(WebToken::Fresh(), ip::tcp::endpoint(ip::address_v4::loopback(), port));
}

TEST(WebGateTest, TokenFromQueryCookieOrBearer) {
  WebGate gate = LoopbackGate();
  const std::string token(gate.token().text());
  ASSERT_EQ(token.size(), 64u);
  EXPECT_EQ(gate.CheckToken("/", "", ""), TokenCheck::kMissing);
  EXPECT_EQ(gate.CheckToken("/?token=" + token, "", ""), TokenCheck::kFromQuery);
  EXPECT_EQ(gate.CheckToken("/", "a=1; inmost_token_8080=" + token + "; b=2", ""),
            TokenCheck::kAccepted);
  EXPECT_EQ(gate.CheckToken("/", "", "Bearer " + token), TokenCheck::kAccepted);
  EXPECT_EQ(gate.CheckToken("/", "", "bearer " + token), TokenCheck::kAccepted);
  EXPECT_EQ(gate.CheckToken("/", "inmost_token_8081=" + token, ""), TokenCheck::kMissing);
  std::string wrong = token;
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  EXPECT_EQ(gate.CheckToken("/?token=" + wrong, "", ""), TokenCheck::kWrong);
  EXPECT_EQ(gate.CheckToken("/", "inmost_token_8080=" + wrong, ""), TokenCheck::kWrong);
  EXPECT_EQ(gate.CheckToken("/", "inmost_token_8080=" + token.substr(1), ""), TokenCheck::kWrong);
  EXPECT_EQ(gate.CheckToken("/", "", "Basic " + token), TokenCheck::kMissing);
  EXPECT_NE(LoopbackGate().token().text(), gate.token().text());
  EXPECT_EQ(gate.SetCookie(), "inmost_token_8080=" + token + "; HttpOnly; SameSite=Strict; Path=/");
}

TEST(WebGateTest, HostAndOrigin) {
  WebGate gate = LoopbackGate();
  EXPECT_TRUE(gate.HostAllowed("127.0.0.1:8080"));
  EXPECT_TRUE(gate.HostAllowed("localhost:8080"));
  EXPECT_TRUE(gate.HostAllowed("LocalHost:8080"));
  EXPECT_FALSE(gate.HostAllowed("127.0.0.1"));
  EXPECT_FALSE(gate.HostAllowed("127.0.0.1:8081"));
  EXPECT_FALSE(gate.HostAllowed("evil.example:8080"));
  EXPECT_FALSE(gate.HostAllowed(""));
  WebGate lan(WebToken::Fresh(), ip::tcp::endpoint(ip::make_address("192.168.1.5"), 80));
  EXPECT_TRUE(lan.HostAllowed("192.168.1.5:80"));
  EXPECT_FALSE(lan.HostAllowed("localhost:80"));
  WebGate v6(WebToken::Fresh(), ip::tcp::endpoint(ip::address_v6::loopback(), 9000));
  EXPECT_TRUE(v6.HostAllowed("[::1]:9000"));
  EXPECT_TRUE(WebGate::OriginAllowed("http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_FALSE(WebGate::OriginAllowed("https://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_FALSE(WebGate::OriginAllowed("http://localhost:8080", "127.0.0.1:8080"));
  EXPECT_FALSE(WebGate::OriginAllowed("", "127.0.0.1:8080"));
  EXPECT_FALSE(WebGate::OriginAllowed("null", "127.0.0.1:8080"));
}

TEST(WebGateTest, RequestTarget) {
  EXPECT_EQ(TargetPath("/qr.svg?text=a"), "/qr.svg");
  EXPECT_EQ(TargetPath("/%2e%2e/x"), "/%2e%2e/x");  // Never decoded.
  EXPECT_EQ(QueryParameter("/qr.svg?text=a%20b+c&x=1", "text"), "a b c");
  EXPECT_EQ(QueryParameter("/?x=1", "text"), std::nullopt);
  EXPECT_EQ(QueryParameter("/?text", "text"), "");
  EXPECT_EQ(QueryParameter("/?text=%4", "text"), std::nullopt);
  EXPECT_EQ(QueryParameter("/?text=%zz", "text"), std::nullopt);
  EXPECT_EQ(TargetWithout("/?token=abc", "token"), "/");
  EXPECT_EQ(TargetWithout("/?a=1&token=abc&b=2", "token"), "/?a=1&b=2");
}

TEST(WebGateTest, ListenAddress) {
  auto loopback = ParseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(loopback.ok());
  EXPECT_TRUE(loopback->loopback);
  auto localhost = ParseListenAddress("localhost:8080");
  ASSERT_TRUE(localhost.ok());
  EXPECT_EQ(HostAndPort(localhost->endpoint), "127.0.0.1:8080");
  auto v6 = ParseListenAddress("[::1]:8080");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(HostAndPort(v6->endpoint), "[::1]:8080");
  auto lan = ParseListenAddress("192.168.1.5:8080");
  ASSERT_TRUE(lan.ok());
  EXPECT_FALSE(lan->loopback);
  for (const char* bad : {"0.0.0.0:80", "[::]:80", "host.example:80", "127.0.0.1", ":80",
                          "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:8o"}) {
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
  }
}

TEST(WebGateTest, PageFilesAndTypes) {
  EXPECT_NE(FindPageFile("index.html"), nullptr);
  EXPECT_NE(FindPageFile("app.js"), nullptr);
  EXPECT_EQ(FindPageFile("../index.html"), nullptr);
  EXPECT_EQ(FindPageFile("/index.html"), nullptr);
  EXPECT_EQ(ContentTypeOf("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("icons/a.png"), "image/png");
  EXPECT_EQ(ContentTypeOf("app.webmanifest"), "application/manifest+json");
  EXPECT_EQ(ContentTypeOf("x"), "application/octet-stream");
}

TEST(WebGateTest, QrSvg) {
  auto svg = QrSvg("inmost1-abc");
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(svg->rfind("<svg ", 0), 0u);
  EXPECT_EQ(svg->find("inmost1"), std::string::npos);
  EXPECT_FALSE(QrSvg(std::string(kMaxQrTextBytes + 1, 'a')).ok());
}

}  // namespace
}  // namespace inmost::web
