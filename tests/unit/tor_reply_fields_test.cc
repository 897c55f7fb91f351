// Tests of the control protocol's text conventions and reply fields (daemon/tor/
// control_text.h, reply_fields.h, onion_key.h, safe_cookie.h): quoting both ways, KEY=VALUE
// splitting, what PROTOCOLINFO, AUTHCHALLENGE, GETINFO, ADD_ONION and events say, the
// onion key's encoding, and the SAFECOOKIE proofs against values computed independently.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/codec/tor/control_text.h"
#include "daemon/codec/tor/onion_key.h"
#include "daemon/codec/tor/reply_fields.h"
#include "daemon/codec/tor/reply_reader.h"
#include "daemon/codec/tor/safe_cookie.h"
#include "tests/unit/temp_dir.h"

namespace inmost::tor {
namespace {

ControlReply Reply(std::string_view text) {
  ReplyReader reader;
  reader.Feed(crypto::AsBytes(text));
  auto next = reader.Next();
  EXPECT_TRUE(next.ok() && next->has_value()) << text;
  return next.ok() && next->has_value() ? std::move(**next) : ControlReply{};
}

std::string ToText(const crypto::SecretBytes& secret) {
  return crypto::ToString(secret.span());
}

const std::string kServiceId = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndfpuqdabc";
// base64 of the bytes 0..63, as Tor would write that key.
const std::string kKeyBase64 =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";

TEST(TorControlText, QuoteEscapesQuotesBackslashesAndEveryUnprintableByte) {
  EXPECT_EQ(Quote("plain"), "\"plain\"");
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote(std::string("\n\r\x01\x7f\xc3\xa9", 6)), "\"\\012\\015\\001\\177\\303\\251\"");
  for (const std::string& original :
       {std::string("p\"a\\ss w\nord\xff"), std::string(), std::string(1, '\0')}) {
    auto back = Unquote(Quote(original));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, original);
  }
}

TEST(TorControlText, UnquoteReadsTorsEscapesAndRefusesBadOnes) {
  auto value = Unquote(R"("a\tb\n\x41\101\7\"\'\\")");
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_EQ(*value, std::string("a\tb\nAA\x07\"'\\"));
  for (const char* bad : {R"("open)", R"(no quote)", R"("bad \q escape")", R"("\x4")", R"("\777")",
                          R"("trailing\)", R"("a"b)"}) {
    auto refused = Unquote(bad);
    EXPECT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), Code::kCorruption) << bad;
  }
}

TEST(TorControlText, SplitFieldsReadsWordsAndKeyValues) {
  auto fields = SplitFields(R"(AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/a b/\"c\"" X=)");
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  ASSERT_EQ(fields->size(), 4u);
  EXPECT_EQ((*fields)[0].key, "");
  EXPECT_EQ((*fields)[0].value, "AUTH");
  EXPECT_EQ(*FindField(*fields, "METHODS"), "COOKIE,SAFECOOKIE");
  EXPECT_EQ(*FindField(*fields, "COOKIEFILE"), "/a b/\"c\"");
  EXPECT_EQ(*FindField(*fields, "X"), "");
  EXPECT_EQ(FindField(*fields, "NOPE"), nullptr);
  EXPECT_FALSE(SplitFields("=value").ok());
  EXPECT_FALSE(SplitFields(R"(K="unterminated)").ok());
  EXPECT_FALSE(SplitFields(R"(K="v"junk)").ok());
}

TEST(TorControlText, PlainArguments) {
  EXPECT_TRUE(IsPlainArgument("net/listeners/socks"));
  EXPECT_TRUE(IsPlainArgument("127.0.0.1:7433"));
  EXPECT_FALSE(IsPlainArgument(""));
  EXPECT_FALSE(IsPlainArgument("a b"));
  EXPECT_FALSE(IsPlainArgument("a\r\nSIGNAL HALT"));
  EXPECT_FALSE(IsPlainArgument("\"q\""));
}

TEST(TorReplyFields, ProtocolInfo) {
  auto info = ParseProtocolInfo(Reply(
      "250-PROTOCOLINFO 1\r\n"
      "250-AUTH METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD COOKIEFILE=\"/run/tor/con\\\"trol\"\r\n"
      "250-VERSION Tor=\"0.4.9.11\"\r\n"
      "250 OK\r\n"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->auth_methods,
            (std::vector<std::string>{"COOKIE", "SAFECOOKIE", "HASHEDPASSWORD"}));
  EXPECT_TRUE(info->Offers("SAFECOOKIE"));
  EXPECT_FALSE(info->Offers("NULL"));
  EXPECT_EQ(info->cookie_file, "/run/tor/con\"trol");
  EXPECT_EQ(info->tor_version, "0.4.9.11");
  EXPECT_EQ(info->MethodList(), "COOKIE, SAFECOOKIE, HASHEDPASSWORD");

  EXPECT_EQ(ParseProtocolInfo(Reply("250-PROTOCOLINFO 1\r\n250 OK\r\n")).status().code(),
            Code::kCorruption);
  EXPECT_EQ(ParseProtocolInfo(Reply("513 No such version\r\n")).status().code(),
            Code::kInvalidArgument);
}

TEST(TorReplyFields, AuthChallenge) {
  const std::string hash(64, 'a');
  const std::string nonce(64, 'B');
  auto challenge = ParseAuthChallenge(
      Reply("250 AUTHCHALLENGE SERVERHASH=" + hash + " SERVERNONCE=" + nonce + "\r\n"));
  ASSERT_TRUE(challenge.ok()) << challenge.status().ToString();
  EXPECT_EQ(challenge->server_hash[0], 0xaa);
  EXPECT_EQ(challenge->server_nonce[31], 0xbb);
  for (const std::string& bad : {"250 AUTHCHALLENGE SERVERHASH=" + hash + "\r\n",
                                 "250 AUTHCHALLENGE SERVERHASH=abcd SERVERNONCE=" + nonce + "\r\n",
                                 "250 OK SERVERHASH=" + hash + " SERVERNONCE=" + nonce + "\r\n"}) {
    EXPECT_EQ(ParseAuthChallenge(Reply(bad)).status().code(), Code::kCorruption) << bad;
  }
}

TEST(TorReplyFields, GetInfoValuesFromLinesAndDataBlocks) {
  auto values = ParseGetInfo(Reply("250-net/listeners/socks=\"127.0.0.1:9050\"\r\n"
                                   "250+config-text=\r\nA 1\r\nB 2\r\n.\r\n250 OK\r\n"),
                             {"net/listeners/socks", "config-text"});
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  EXPECT_EQ((*values)["net/listeners/socks"], "\"127.0.0.1:9050\"");
  EXPECT_EQ((*values)["config-text"], "A 1\nB 2");
  EXPECT_EQ(ParseGetInfo(Reply("250-x=1\r\n250 OK\r\n"), {"y"}).status().code(), Code::kCorruption);
  EXPECT_EQ(ParseGetInfo(Reply("250-novalue\r\n250 OK\r\n"), {}).status().code(),
            Code::kCorruption);
  auto unknown = ParseGetInfo(Reply("552 Unrecognized key \"nope\"\r\n"), {"nope"});
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
  EXPECT_EQ(unknown.status().message(), "tor refused GETINFO: Unrecognized key \"nope\" (552)");
}

TEST(TorReplyFields, ReplyStatusCodes) {
  EXPECT_TRUE(ReplyStatus("X", Reply("250 OK\r\n")).ok());
  EXPECT_EQ(ReplyStatus("X", Reply("515 Authentication failed\r\n")).code(),
            Code::kAuthenticationFailed);
  EXPECT_EQ(ReplyStatus("X", Reply("514 Authentication required.\r\n")).code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(ReplyStatus("X", Reply("510 Unrecognized command\r\n")).code(), Code::kInvalidArgument);
  EXPECT_EQ(ReplyStatus("X", Reply("451 Resource exhausted\r\n")).code(), Code::kResourceExhausted);
  EXPECT_EQ(ReplyStatus("X", Reply("550 Something\r\n")).code(), Code::kUnavailable);
  // Tor's text is cut short in a message.
  const Status long_text = ReplyStatus("X", Reply("550 " + std::string(1000, 'z') + "\r\n"));
  EXPECT_LT(long_text.message().size(), 260u);
}

TEST(TorReplyFields, AddOnionReturnsTheServiceIdAndKey) {
  auto service =
      ParseAddOnion(Reply("250-ServiceID=" + kServiceId +
                          "\r\n250-PrivateKey=ED25519-V3:" + kKeyBase64 + "\r\n250 OK\r\n"));
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  EXPECT_EQ(service->service_id, kServiceId);
  ASSERT_EQ(service->private_key.size(), kOnionKeyBytes);
  EXPECT_EQ(service->private_key.data()[63], 63);

  auto without_key = ParseAddOnion(Reply("250-ServiceID=" + kServiceId + "\r\n250 OK\r\n"));
  ASSERT_TRUE(without_key.ok());
  EXPECT_TRUE(without_key->private_key.empty());
  EXPECT_EQ(ParseAddOnion(Reply("250-ServiceID=short\r\n250 OK\r\n")).status().code(),
            Code::kCorruption);
  EXPECT_EQ(ParseAddOnion(Reply("250-ServiceID=" + kServiceId +
                                "\r\n250-PrivateKey=RSA1024:abc\r\n250 OK\r\n"))
                .status()
                .code(),
            Code::kCorruption);
}

TEST(TorOnionKey, EncodesAndDecodesInSecretMemory) {
  crypto::Bytes raw(kOnionKeyBytes);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>(i);
  const auto key = crypto::SecretBytes::CopyOf(raw);
  auto blob = EncodeOnionKey(key);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(ToText(*blob), "ED25519-V3:" + kKeyBase64);
  auto back = DecodeOnionKey(ToText(*blob));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->Equals(raw));
  // Without padding too.
  auto unpadded = DecodeOnionKey("ED25519-V3:" + kKeyBase64.substr(0, kKeyBase64.size() - 2));
  ASSERT_TRUE(unpadded.ok()) << unpadded.status().ToString();
  EXPECT_TRUE(unpadded->Equals(raw));

  EXPECT_EQ(DecodeOnionKey("RSA1024:" + kKeyBase64).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeOnionKey("ED25519-V3:AAAA").status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeOnionKey("ED25519-V3:" + kKeyBase64 + "AAAA").status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeOnionKey("ED25519-V3:!" + kKeyBase64.substr(1)).status().code(),
            Code::kCorruption);
  EXPECT_EQ(DecodeOnionKey("ED25519-V3:" + kKeyBase64).status().message().find(kKeyBase64),
            std::string::npos);
  EXPECT_FALSE(EncodeOnionKey(crypto::SecretBytes(32)).ok());
}

TEST(TorOnionKey, ServiceIds) {
  EXPECT_TRUE(IsServiceId(kServiceId));
  EXPECT_FALSE(IsServiceId(kServiceId + ".onion"));
  EXPECT_FALSE(IsServiceId(kServiceId.substr(1)));
  std::string upper = kServiceId;
  upper[0] = 'P';
  EXPECT_FALSE(IsServiceId(upper));
}

TEST(TorReplyFields, BootstrapPhaseAndHsDescEvents) {
  auto phase = ParseBootstrapPhase(R"(NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done")");
  ASSERT_TRUE(phase.ok()) << phase.status().ToString();
  EXPECT_EQ(phase->progress, 100);
  EXPECT_EQ(phase->tag, "done");
  EXPECT_EQ(phase->summary, "Done");
  auto warn = ParseBootstrapPhase(
      R"(WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting" WARNING="Connection refused")");
  ASSERT_TRUE(warn.ok());
  EXPECT_EQ(warn->warning, "Connection refused");
  for (const char* bad : {"NOTICE BOOTSTRAP PROGRESS=101", "NOTICE BOOTSTRAP PROGRESS=x",
                          "NOTICE BOOTSTRAP", "NOTICE CIRCUIT PROGRESS=5", ""}) {
    EXPECT_FALSE(ParseBootstrapPhase(bad).ok()) << bad;
  }

  auto event = Reply("650 HS_DESC UPLOADED " + kServiceId + " UNKNOWN $AB~relay1\r\n");
  EXPECT_EQ(EventName(event), "HS_DESC");
  auto hs = ParseHsDescEvent(event);
  ASSERT_TRUE(hs.ok()) << hs.status().ToString();
  EXPECT_EQ(hs->action, "UPLOADED");
  EXPECT_EQ(hs->address, kServiceId);
  EXPECT_EQ(hs->hs_dir, "$AB~relay1");
  auto failed = ParseHsDescEvent(
      Reply("650 HS_DESC FAILED " + kServiceId + " NO_AUTH $CD~r2 REASON=UPLOAD_REJECTED\r\n"));
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->reason, "UPLOAD_REJECTED");
  EXPECT_FALSE(ParseHsDescEvent(Reply("650 HS_DESC UPLOADED\r\n")).ok());
}

TEST(TorSafeCookie, ProofsMatchValuesComputedElsewhere) {
  // Computed with Python's hmac module: cookie 00..1f, client nonce aa.., server nonce 55..
  crypto::Bytes cookie_bytes(kCookieBytes);
  for (size_t i = 0; i < cookie_bytes.size(); ++i) cookie_bytes[i] = static_cast<uint8_t>(i);
  const auto cookie = crypto::SecretBytes::CopyOf(cookie_bytes);
  const Nonce client = [] {
    Nonce n;
    n.fill(0xaa);
    return n;
  }();
  const Nonce server = [] {
    Nonce n;
    n.fill(0x55);
    return n;
  }();
  const auto server_proof =
      SafeCookieProof(SafeCookieSide::kServerToController, cookie, client, server);
  EXPECT_EQ(crypto::ToHex(server_proof.span()),
            "5f7cb5569957c99373e329258545940f029af175da225f4a3125eebf30c24bba");
  EXPECT_EQ(
      crypto::ToHex(
          SafeCookieProof(SafeCookieSide::kControllerToServer, cookie, client, server).span()),
      "9f99f2c4b75c91123ca5c6c6e3f76a9ef7fbd9471053cbe34454a4269cc39f7c");
  SafeCookieHash hash{};
  std::copy(server_proof.span().begin(), server_proof.span().end(), hash.begin());
  EXPECT_TRUE(ServerHashMatches(cookie, client, server, hash));
  hash[31] ^= 1;
  EXPECT_FALSE(ServerHashMatches(cookie, client, server, hash));
}

TEST(TorSafeCookie, ReadsACookieFileOfExactly32Bytes) {
  test::TempDir dir;
  const std::string path = (dir.path() / "control_auth_cookie").string();
  auto missing = ReadCookieFile(path);
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
  for (size_t size : {size_t{0}, size_t{31}, size_t{33}}) {
    { std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(size, 'c'); }
    EXPECT_EQ(ReadCookieFile(path).status().code(), Code::kCorruption) << size;
  }
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(32, 'c'); }
  auto cookie = ReadCookieFile(path);
  ASSERT_TRUE(cookie.ok()) << cookie.status().ToString();
  EXPECT_TRUE(cookie->Equals(crypto::AsBytes(std::string(32, 'c'))));
}

}  // namespace
}  // namespace inmost::tor
