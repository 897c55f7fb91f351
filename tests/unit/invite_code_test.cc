#include "daemon/identity/invite_code.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/crypto/bytes.h"

namespace inmost::identity {
namespace {

constexpr int64_t kExpiry = 1900000000;  // 2030-03-17 17:46:40 UTC.
constexpr int64_t kBefore = kExpiry - 1;
const std::string kOnion =
    "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndfpuqdabc.onion";  // 56 + ".onion"

crypto::PublicKey TestKey() {
  crypto::PublicKey key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  return key;
}

crypto::SecretBytes TestSecret() {
  crypto::SecretBytes secret(kInviteSecretSize);
  for (size_t i = 0; i < secret.size(); ++i) secret.data()[i] = static_cast<uint8_t>(0x80 + i);
  return secret;
}

Invite MakeInvite(std::vector<std::string> addresses) {
  Invite invite;
  invite.inviter_key = TestKey();
  invite.secret = TestSecret();
  invite.addresses = std::move(addresses);
  invite.expires_at_unix = kExpiry;
  return invite;
}

Invite FullInvite() {
  return MakeInvite({"192.0.2.7:4433", "[2001:db8::1]:443", "host.example:8080", kOnion + ":9999"});
}

void ExpectSameInvite(const Invite& a, const Invite& b) {
  EXPECT_EQ(a.inviter_key, b.inviter_key);
  EXPECT_TRUE(a.secret.Equals(b.secret.span()));
  EXPECT_EQ(a.addresses, b.addresses);
  EXPECT_EQ(a.expires_at_unix, b.expires_at_unix);
}

// An independent writer of the documented format, so the tests check the header's
// definition rather than the code against itself, and can build codes that
// EncodeInvite refuses to make.
std::string Base32(const crypto::Bytes& in) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  for (size_t bit = 0; bit < in.size() * 8; bit += 5) {
    int v = 0;
    for (size_t b = bit; b < bit + 5; ++b) {
      const int set = b < in.size() * 8 ? (in[b / 8] >> (7 - b % 8)) & 1 : 0;
      v = (v << 1) | set;
    }
    out.push_back(kAlphabet[v]);
  }
  return out;
}

crypto::Bytes Payload(uint8_t version, uint64_t expiry, const std::vector<std::string>& addresses,
                      size_t declared_count) {
  crypto::Bytes p{version};
  const auto key = TestKey();
  p.insert(p.end(), key.begin(), key.end());
  const auto secret = TestSecret();
  p.insert(p.end(), secret.data(), secret.data() + secret.size());
  for (int i = 7; i >= 0; --i) p.push_back(static_cast<uint8_t>(expiry >> (8 * i)));
  p.push_back(static_cast<uint8_t>(declared_count));
  for (const auto& a : addresses) {
    p.push_back(static_cast<uint8_t>(a.size()));
    p.insert(p.end(), a.begin(), a.end());
  }
  return p;
}

std::string CraftCodeFromPayload(crypto::Bytes payload) {
  const std::string label = "inmost invite checksum v1";
  crypto::Bytes input(label.begin(), label.end());
  input.insert(input.end(), payload.begin(), payload.end());
  uint8_t hash[32];
  crypto_generichash(hash, sizeof(hash), input.data(), input.size(), nullptr, 0);
  payload.insert(payload.end(), hash, hash + 4);
  return "inmost1-" + Base32(payload);
}

std::string CraftCode(const std::vector<std::string>& addresses) {
  return CraftCodeFromPayload(Payload(1, kExpiry, addresses, addresses.size()));
}

void ExpectError(const Result<Invite>& r, Code code, const std::string& message_part) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  EXPECT_NE(r.status().message().find(message_part), std::string::npos) << r.status().ToString();
}

TEST(InviteCode, RoundTripWithEveryAddressKind) {
  const Invite invite = FullInvite();
  const std::string code = EncodeInvite(invite);
  EXPECT_EQ(code.rfind("inmost1-", 0), 0u);
  EXPECT_TRUE(std::none_of(code.begin(), code.end(), [](char c) { return std::isupper(c); }));
  auto parsed = ParseInvite(code, kBefore);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ExpectSameInvite(*parsed, invite);
}

TEST(InviteCode, RoundTripEachAddressKindAlone) {
  for (const std::string& address :
       {std::string("1.2.3.4:1"), std::string("[::1]:65535"), std::string("localhost:4433"),
        std::string("a-b.c-d.example:80"), kOnion + ":443", std::string("[fe80::1:2]:9")}) {
    const Invite invite = MakeInvite({address});
    auto parsed = ParseInvite(EncodeInvite(invite), kBefore);
    ASSERT_TRUE(parsed.ok()) << address << ": " << parsed.status().ToString();
    ExpectSameInvite(*parsed, invite);
  }
}

TEST(InviteCode, EncodingMatchesDocumentedFormat) {
  const std::vector<std::string> addresses = {"192.0.2.7:4433", "host.example:8080"};
  EXPECT_EQ(EncodeInvite(MakeInvite(addresses)), CraftCode(addresses));
}

TEST(InviteCode, MaximalInviteRoundTrips) {
  std::vector<std::string> addresses;
  for (size_t i = 0; i < kMaxInviteAddresses; ++i) {
    // 63 + 1 + 63 + 1 + 63 + 1 + 57 = 249 characters of host, + ":65535" = 255.
    std::string host = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                       std::string(63, 'c') + "." + std::string(56, 'd') +
                       static_cast<char>('a' + i);
    addresses.push_back(host + ":65535");
    ASSERT_EQ(addresses.back().size(), kMaxAddressLength);
  }
  const Invite invite = MakeInvite(addresses);
  const std::string code = EncodeInvite(invite);
  EXPECT_LT(code.size(), kMaxInviteTextLength / 2);
  auto parsed = ParseInvite(code, kBefore);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ExpectSameInvite(*parsed, invite);
}

TEST(InviteCode, CaseWhitespaceLineBreaksAndDashesAreIgnored) {
  const Invite invite = FullInvite();
  const std::string code = EncodeInvite(invite);

  std::string upper = code;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](char c) { return static_cast<char>(std::toupper(c)); });

  std::string wrapped = "  \t";
  for (size_t i = 0; i < code.size(); ++i) {
    if (i != 0 && i % 3 == 0) wrapped += "\r\n";  // Also splits the prefix.
    wrapped += code[i];
  }
  wrapped += "\n\n";

  std::string grouped = "inmost1-";
  for (size_t i = 8; i < code.size(); ++i) {
    if (i != 8 && (i - 8) % 4 == 0) grouped += '-';
    grouped += code[i];
  }

  for (const std::string& text : {upper, wrapped, grouped}) {
    auto parsed = ParseInvite(text, kBefore);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    ExpectSameInvite(*parsed, invite);
  }
}

TEST(InviteCode, MissingPrefix) {
  const std::string body = EncodeInvite(FullInvite()).substr(8);
  for (const std::string& text :
       {std::string(""), std::string("   "), std::string("hello"), body, "inmost-" + body,
        "inmost1" + body, "inmostx-" + body, "nmost1-" + body, "https://inmost1-" + body}) {
    auto r = ParseInvite(text, kBefore);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "not an inmost invite code: it should start with inmost1-");
  }
}

TEST(InviteCode, NewerPrefixOrVersionIsUnsupported) {
  ExpectError(ParseInvite("inmost2-aaaaaaaa", kBefore), Code::kUnsupported,
              "made by a newer inmost");
  // An intact code whose payload says version 2.
  ExpectError(ParseInvite(CraftCodeFromPayload(Payload(2, kExpiry, {"1.2.3.4:5"}, 1)), kBefore),
              Code::kUnsupported, "made by a newer inmost (invite format 2)");
  // The same with a broken checksum is a typo, not a newer format.
  std::string broken = CraftCodeFromPayload(Payload(2, kExpiry, {"1.2.3.4:5"}, 1));
  broken[20] = broken[20] == 'a' ? 'b' : 'a';
  ExpectError(ParseInvite(broken, kBefore), Code::kCorruption, "checksum mismatch");
}

TEST(InviteCode, BadCharacter) {
  std::string code = EncodeInvite(FullInvite());
  code[20] = '0';
  ExpectError(ParseInvite(code, kBefore), Code::kInvalidArgument,
              "the code contains '0' at character 21, which no invite code has");
  code[20] = '\x01';
  ExpectError(ParseInvite(code, kBefore), Code::kInvalidArgument,
              "the code contains a byte 0x01 at character 21");
  code[20] = '!';
  ExpectError(ParseInvite(code, kBefore), Code::kInvalidArgument, "contains '!'");
}

TEST(InviteCode, ChecksumMismatch) {
  std::string code = EncodeInvite(FullInvite());
  code[40] = code[40] == 'q' ? 'r' : 'q';
  auto r = ParseInvite(code, kBefore);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
  EXPECT_EQ(r.status().message(), "the code was altered or mistyped: checksum mismatch");
}

TEST(InviteCode, NonCanonicalLastCharacterIsRefused) {
  // One 3-byte address: 74 + 1 + 3 + 4 = 82 bytes = 656 bits in 132 characters
  // (660 bits), so the last character has 4 unused bits.
  const std::string code = CraftCode({"a:1"});
  ASSERT_EQ((code.size() - 8) * 5 - 82 * 8, 4u);
  std::string altered = code;
  const int v = std::string_view("abcdefghijklmnopqrstuvwxyz234567").find(code.back());
  altered.back() = "abcdefghijklmnopqrstuvwxyz234567"[v | 1];
  ASSERT_NE(altered, code);
  ExpectError(ParseInvite(altered, kBefore), Code::kCorruption, "checksum mismatch");
}

TEST(InviteCode, Truncated) {
  const std::string code = EncodeInvite(FullInvite());
  for (size_t keep :
       {size_t{8}, size_t{9}, size_t{30}, code.size() / 2, code.size() - 10, code.size() - 1}) {
    auto r = ParseInvite(code.substr(0, keep), kBefore);
    ASSERT_FALSE(r.ok()) << keep;
    EXPECT_EQ(r.status().code(), Code::kCorruption) << keep;
    EXPECT_EQ(r.status().message().rfind("the code is incomplete: ", 0), 0u)
        << keep << ": " << r.status().ToString();
  }
}

TEST(InviteCode, TrailingText) {
  const std::string code = EncodeInvite(FullInvite());
  for (const std::string& extra : {std::string("a"), std::string("abc"), std::string(" thanks!"),
                                   std::string("!"), std::string("\nsee you")}) {
    ExpectError(ParseInvite(code + extra, kBefore), Code::kInvalidArgument,
                "there is extra text after the end of the code");
  }
  ExpectError(ParseInvite(code + " thanks", kBefore), Code::kInvalidArgument,
              "(from character " + std::to_string(code.size() + 2) + ")");
}

TEST(InviteCode, InvalidAddress) {
  ExpectError(ParseInvite(CraftCode({"1.2.3.4:0"}), kBefore), Code::kInvalidArgument,
              "invalid address \"1.2.3.4:0\": the port must be a number from 1 to 65535");
  ExpectError(ParseInvite(CraftCode({"ok.example:1", "bad host:1"}), kBefore),
              Code::kInvalidArgument, "invalid address \"bad host:1\"");
  ExpectError(ParseInvite(CraftCode({std::string("a\x01:1")}), kBefore), Code::kInvalidArgument,
              "unprintable");
}

TEST(InviteCode, ZeroAndTooManyAddresses) {
  ExpectError(ParseInvite(CraftCode(std::vector<std::string>{}), kBefore), Code::kInvalidArgument,
              "the code carries no address to reach the inviter");
  std::vector<std::string> nine(9, "1.2.3.4:5");
  ExpectError(ParseInvite(CraftCode(nine), kBefore), Code::kInvalidArgument,
              "the code carries 9 addresses; at most 8 are allowed");
}

TEST(InviteCode, ExpiryOutOfRange) {
  ExpectError(
      ParseInvite(CraftCodeFromPayload(Payload(1, ~uint64_t{0}, {"1.2.3.4:5"}, 1)), kBefore),
      Code::kInvalidArgument, "expiry time is out of range");
}

TEST(InviteCode, ExpiryBoundary) {
  const std::string code = EncodeInvite(FullInvite());
  EXPECT_TRUE(ParseInvite(code, kExpiry - 1).ok());
  for (int64_t now : {kExpiry, kExpiry + 1, kExpiry + 86400}) {
    auto r = ParseInvite(code, now);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kExpired);
    EXPECT_EQ(r.status().message(),
              "this invite expired at 2030-03-17 17:46:40 UTC; ask for a new one");
  }
}

TEST(InviteCode, TooLongText) {
  const std::string code = EncodeInvite(FullInvite());
  std::string text = code + std::string(kMaxInviteTextLength, ' ');
  ExpectError(ParseInvite(text, kBefore), Code::kInvalidArgument, "too long");
  // Whitespace up to the limit is fine.
  text.resize(kMaxInviteTextLength);
  EXPECT_TRUE(ParseInvite(text, kBefore).ok());
}

TEST(InviteCode, EverySingleCharacterChangeIsDetected) {
  const std::string code = EncodeInvite(MakeInvite({"192.0.2.7:4433", "[::1]:80"}));
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  int checked = 0;
  for (size_t i = 0; i < code.size(); ++i) {
    for (char c : alphabet + "0189!") {
      if (c == code[i]) continue;
      std::string altered = code;
      altered[i] = c;
      EXPECT_FALSE(ParseInvite(altered, kBefore).ok()) << "position " << i << " -> " << c;
      ++checked;
    }
    std::string deleted = code;
    deleted.erase(i, 1);
    EXPECT_FALSE(ParseInvite(deleted, kBefore).ok()) << "deleted position " << i;
  }
  EXPECT_GT(checked, 4000);
}

TEST(InviteCode, EncodeRefusesInvalidInvites) {
  EXPECT_THROW(EncodeInvite(MakeInvite({})), std::invalid_argument);
  EXPECT_THROW(EncodeInvite(MakeInvite({"nope"})), std::invalid_argument);
  EXPECT_THROW(EncodeInvite(MakeInvite(std::vector<std::string>(9, "1.2.3.4:5"))),
               std::invalid_argument);
  Invite short_secret = MakeInvite({"1.2.3.4:5"});
  short_secret.secret = crypto::SecretBytes(16);
  EXPECT_FALSE(ValidateInvite(short_secret).ok());
  EXPECT_THROW(EncodeInvite(short_secret), std::invalid_argument);
  Invite negative = MakeInvite({"1.2.3.4:5"});
  negative.expires_at_unix = -1;
  EXPECT_THROW(EncodeInvite(negative), std::invalid_argument);
}

TEST(InviteAddress, AcceptsSaneAddresses) {
  for (const std::string& a :
       {std::string("1.2.3.4:5"), std::string("255.255.255.255:65535"), std::string("[::1]:1"),
        std::string("[2001:db8::ff00:42:8329]:4433"), std::string("[::ffff:1.2.3.4]:80"),
        std::string("localhost:4433"), std::string("Host.Example:80"),
        std::string("xn--bcher-kva.example:443"), std::string("1a.example:1"),
        std::string("host.example3:1"), kOnion + ":80", "www." + kOnion + ":80"}) {
    EXPECT_TRUE(ValidateAddress(a).ok()) << a << ": " << ValidateAddress(a).ToString();
  }
}

TEST(InviteAddress, RefusesBadAddresses) {
  for (const std::string& a : {
           std::string(""),
           std::string("1.2.3.4"),
           std::string("1.2.3.4:"),
           std::string("1.2.3.4:0"),
           std::string("1.2.3.4:65536"),
           std::string("1.2.3.4:080"),
           std::string("1.2.3.4:+80"),
           std::string("1.2.3.4:8a"),
           std::string("1.2.3.4:123456"),
           std::string("256.1.1.1:80"),
           std::string("1.2.3:80"),
           std::string("01.2.3.4:80"),
           std::string("0.0.0.0:80"),
           std::string("::1:80"),
           std::string("[::1]"),
           std::string("[::1]80"),
           std::string("[::1:80"),
           std::string("[::]:80"),
           std::string("[fe80::1%eth0]:80"),
           std::string("[host.example]:80"),
           std::string(":80"),
           std::string("host..example:80"),
           std::string(".host.example:80"),
           std::string("host.example.:80"),
           std::string("-host.example:80"),
           std::string("host-.example:80"),
           std::string("host_name.example:80"),
           std::string("host name:80"),
           std::string("héte.example:80"),
           std::string(64, 'a') + ".example:80",
           std::string("short.onion:80"),
           std::string("onion:80"),
           std::string(56, '1') + ".onion:80",
           std::string(300, 'a') + ":1",
       }) {
    EXPECT_FALSE(ValidateAddress(a).ok()) << a;
  }
  std::string long_host;
  while (long_host.size() < 254) long_host += "abcdefghi.";
  long_host.resize(254);
  long_host.back() = 'x';
  EXPECT_FALSE(ValidateAddress(long_host + ":1").ok());
}

}  // namespace
}  // namespace inmost::identity
