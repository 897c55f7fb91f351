// Tor v3 client authorization's text: base32 of X25519 keys (RFC 4648 vectors and a
// 32-byte key checked against Python's base64.b32encode), the `.auth_private` line, and
// the ADD_ONION line that carries ClientAuthV3 keys.
#include <gtest/gtest.h>

#include <numeric>
#include <string>

#include "daemon/codec/tor/add_onion_line.h"
#include "daemon/codec/tor/client_auth.h"
#include "daemon/codec/tor/onion_key.h"
#include "daemon/crypto/bytes.h"

namespace inmost::tor {
namespace {

const std::string kServiceId = "s7a62co6hp3y43fks75ptujka3j25tvyrrejczxljffyiswtfea2hmyd";
// base64.b32encode(bytes(range(32))), padding dropped.
const std::string kCountingKey = "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPQ";
// base64.b32encode(bytes(range(255, 223, -1))).
const std::string kCountingDownKey = "777P37H37L47R57W6X2PH4XR6DX653PM5PVOT2HH43S6JY7C4HQA";

crypto::SecretBytes Counting() {
  crypto::SecretBytes key(kClientAuthKeyBytes);
  std::iota(key.data(), key.data() + key.size(), 0);
  return key;
}

std::string Text(const crypto::SecretBytes& secret) {
  return std::string(reinterpret_cast<const char*>(secret.data()), secret.size());
}

TEST(TorClientAuth, Base32MatchesTheRfc4648Vectors) {
  EXPECT_EQ(Base32(crypto::AsBytes("")), "");
  EXPECT_EQ(Base32(crypto::AsBytes("f")), "MY");
  EXPECT_EQ(Base32(crypto::AsBytes("fo")), "MZXQ");
  EXPECT_EQ(Base32(crypto::AsBytes("foo")), "MZXW6");
  EXPECT_EQ(Base32(crypto::AsBytes("foob")), "MZXW6YQ");
  EXPECT_EQ(Base32(crypto::AsBytes("fooba")), "MZXW6YTB");
  EXPECT_EQ(Base32(crypto::AsBytes("foobar")), "MZXW6YTBOI");
}

TEST(TorClientAuth, AKeyIs52CapitalsAndDigitsWithoutPadding) {
  const crypto::SecretBytes key = Counting();
  EXPECT_EQ(Base32(key.span()), kCountingKey);
  EXPECT_EQ(Text(SecretBase32(key.span())), kCountingKey);
  crypto::SecretBytes down(kClientAuthKeyBytes);
  for (size_t i = 0; i < down.size(); ++i) down.data()[i] = static_cast<uint8_t>(255 - i);
  EXPECT_EQ(Base32(down.span()), kCountingDownKey);
  EXPECT_TRUE(IsClientAuthKey(kCountingKey));
  EXPECT_TRUE(IsClientAuthKey(kCountingDownKey));
  EXPECT_FALSE(IsClientAuthKey(kCountingKey + "="));
  EXPECT_FALSE(IsClientAuthKey(kCountingKey.substr(1)));
  std::string lower = kCountingKey;
  lower[0] = 'a';
  EXPECT_FALSE(IsClientAuthKey(lower));
  EXPECT_FALSE(IsClientAuthKey(kCountingKey.substr(0, 51) + "1"));  // 1 is not base32.
}

TEST(TorClientAuth, TheAuthPrivateLineIsWhatTorReads) {
  auto line = AuthPrivateLine(kServiceId, Counting());
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(Text(*line), kServiceId + ":descriptor:x25519:" + kCountingKey);
  EXPECT_EQ(AuthPrivateLine(kServiceId + ".onion", Counting()).status().code(),
            Code::kInvalidArgument);
  auto short_key = AuthPrivateLine(kServiceId, crypto::SecretBytes(31));
  EXPECT_EQ(short_key.status().code(), Code::kInvalidArgument);
}

TEST(TorClientAuth, AddOnionCarriesOneClientAuthV3PerDeviceAndTheV3AuthFlag) {
  AddOnionRequest request;
  request.ports = {{80, "127.0.0.1:8080"}};
  request.client_auth_v3 = {kCountingKey, kCountingDownKey};
  auto line = AddOnionLine(request);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(Text(*line),
            "ADD_ONION NEW:ED25519-V3 Flags=V3Auth Port=80,127.0.0.1:8080 "
            "ClientAuthV3=" +
                kCountingKey + " ClientAuthV3=" + kCountingDownKey);

  request.return_new_key = false;
  line = AddOnionLine(request);
  ASSERT_TRUE(line.ok());
  EXPECT_TRUE(Text(*line).starts_with("ADD_ONION NEW:ED25519-V3 Flags=DiscardPK,V3Auth Port=80"));

  // With a key: the same line after the key blob, which is the only secret in it.
  crypto::SecretBytes key(kOnionKeyBytes);
  request.key = &key;
  line = AddOnionLine(request);
  ASSERT_TRUE(line.ok());
  const std::string text = Text(*line);
  EXPECT_TRUE(text.starts_with("ADD_ONION ED25519-V3:")) << text;
  EXPECT_TRUE(text.ends_with(" Flags=V3Auth Port=80,127.0.0.1:8080 ClientAuthV3=" + kCountingKey +
                             " ClientAuthV3=" + kCountingDownKey))
      << text;

  // No client keys: no flag, nothing about client authorization.
  request.client_auth_v3.clear();
  line = AddOnionLine(request);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(Text(*line).find("Auth"), std::string::npos);
}

TEST(TorClientAuth, AClientKeyThatCouldSmuggleAnArgumentIsRefused) {
  AddOnionRequest request;
  request.ports = {{80, "127.0.0.1:8080"}};
  for (const std::string& bad :
       {kCountingKey + " Flags=Detach", std::string("x"), kCountingKey.substr(0, 51) + "\r"}) {
    request.client_auth_v3 = {bad};
    auto line = AddOnionLine(request);
    EXPECT_EQ(line.status().code(), Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace inmost::tor
