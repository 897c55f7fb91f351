// Round trips and every failure mode of the Noise engine: a failed handshake must fail
// loudly and stay failed, and no error may leak key material.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/noise/cipher_state.h"
#include "daemon/noise/handshake_pattern.h"
#include "daemon/noise/handshake_state.h"
#include "daemon/noise/hash_function.h"
#include "daemon/noise/limits.h"

namespace inmost::noise {
namespace {

using crypto::AsBytes;
using crypto::Bytes;
using crypto::KeyPair;
using crypto::SecretBytes;

constexpr char kKk[] = "Noise_KK_25519_ChaChaPoly_BLAKE2b";
constexpr char kIkPsk2[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b";
constexpr char kXx[] = "Noise_XX_25519_ChaChaPoly_BLAKE2b";
constexpr char kNn[] = "Noise_NN_25519_ChaChaPoly_SHA256";
constexpr uint64_t kLastUsableNonce = std::numeric_limits<uint64_t>::max() - 1;
// KK's first message: e (32 bytes) then the payload's tag.
constexpr size_t kKkFirstMessageOverhead = kDhLen + kTagSize;

Bytes B(std::string_view text) {
  const auto bytes = AsBytes(text);
  return Bytes(bytes.begin(), bytes.end());
}

// Two parties with fresh static keys and a shared psk, and configs for each pattern.
class NoiseHandshakeTest : public ::testing::Test {
 protected:
  HandshakeConfig Config(const std::string& protocol, Role role) const {
    const bool initiator = role == Role::kInitiator;
    HandshakeConfig config;
    config.protocol_name = protocol;
    config.role = role;
    config.prologue = B("inmost test prologue");
    if (protocol == kNn) return config;
    config.local_static = initiator ? &alice_ : &bob_;
    if (protocol == kKk) {
      config.remote_static = initiator ? bob_.public_key : alice_.public_key;
    } else if (protocol == kIkPsk2) {
      if (initiator) config.remote_static = bob_.public_key;
      config.psks = {&psk_};
    }
    return config;
  }

  HandshakeState Create(const HandshakeConfig& config) {
    Result<HandshakeState> state = HandshakeState::Create(config);
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    return std::move(state).value();
  }
  HandshakeState Initiator(const std::string& protocol) {
    return Create(Config(protocol, Role::kInitiator));
  }
  HandshakeState Responder(const std::string& protocol) {
    return Create(Config(protocol, Role::kResponder));
  }

  // Writes on one side and reads on the other; returns the wire message.
  static Bytes Deliver(HandshakeState& writer, HandshakeState& reader, const Bytes& payload) {
    Result<Bytes> message = writer.WriteMessage(payload);
    EXPECT_TRUE(message.ok()) << message.status().ToString();
    if (!message.ok()) return {};
    Result<Bytes> received = reader.ReadMessage(*message);
    EXPECT_TRUE(received.ok()) << received.status().ToString();
    if (received.ok()) {
      EXPECT_EQ(*received, payload);
    }
    return *message;
  }

  // Runs a whole handshake, alternating from the initiator, and splits both sides.
  static std::pair<TransportKeys, TransportKeys> Complete(HandshakeState& initiator,
                                                          HandshakeState& responder) {
    for (int i = 0; !initiator.IsFinished(); ++i) {
      const bool from_initiator = i % 2 == 0;
      Deliver(from_initiator ? initiator : responder, from_initiator ? responder : initiator,
              B("handshake payload " + std::to_string(i)));
      if (::testing::Test::HasFailure()) break;
    }
    EXPECT_TRUE(responder.IsFinished());
    EXPECT_EQ(crypto::ToHex(initiator.HandshakeHash()), crypto::ToHex(responder.HandshakeHash()));
    Result<TransportKeys> initiator_keys = initiator.Split();
    Result<TransportKeys> responder_keys = responder.Split();
    EXPECT_TRUE(initiator_keys.ok()) << initiator_keys.status().ToString();
    EXPECT_TRUE(responder_keys.ok()) << responder_keys.status().ToString();
    return {std::move(initiator_keys).value(), std::move(responder_keys).value()};
  }

  static void ExpectTransportWorks(TransportKeys& a, TransportKeys& b) {
    for (int i = 0; i < 3; ++i) {
      const Bytes payload = B("transport " + std::to_string(i));
      Result<Bytes> sealed = a.send.EncryptWithAd({}, payload);
      ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
      Result<Bytes> opened = b.receive.DecryptWithAd({}, *sealed);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      EXPECT_EQ(*opened, payload);
      sealed = b.send.EncryptWithAd({}, payload);
      ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
      opened = a.receive.DecryptWithAd({}, *sealed);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      EXPECT_EQ(*opened, payload);
    }
  }

  static void ExpectUnusable(HandshakeState& state, const Bytes& message) {
    EXPECT_EQ(state.ReadMessage(message).status().code(), Code::kFailedPrecondition);
    EXPECT_EQ(state.WriteMessage(B("more")).status().code(), Code::kFailedPrecondition);
    EXPECT_EQ(state.Split().status().code(), Code::kFailedPrecondition);
    EXPECT_FALSE(state.IsMyTurnToWrite());
    EXPECT_FALSE(state.IsFinished());
  }

  KeyPair alice_ = KeyPair::Generate();  // Initiator.
  KeyPair bob_ = KeyPair::Generate();    // Responder.
  SecretBytes psk_ = SecretBytes::Random(kPskSize);
};

TEST_F(NoiseHandshakeTest, KkRoundTrip) {
  HandshakeState initiator = Initiator(kKk);
  HandshakeState responder = Responder(kKk);
  EXPECT_TRUE(initiator.IsMyTurnToWrite());
  EXPECT_FALSE(responder.IsMyTurnToWrite());
  auto [a, b] = Complete(initiator, responder);
  EXPECT_EQ(initiator.remote_static(), std::optional(bob_.public_key));
  EXPECT_EQ(responder.remote_static(), std::optional(alice_.public_key));
  EXPECT_EQ(initiator.HandshakeHash().size(), 64u);
  ExpectTransportWorks(a, b);
}

TEST_F(NoiseHandshakeTest, IkPsk2RoundTripTeachesTheResponderTheInitiatorsKey) {
  HandshakeState initiator = Initiator(kIkPsk2);
  HandshakeState responder = Responder(kIkPsk2);
  EXPECT_FALSE(responder.remote_static().has_value());
  auto [a, b] = Complete(initiator, responder);
  EXPECT_EQ(responder.remote_static(), std::optional(alice_.public_key));
  ExpectTransportWorks(a, b);
}

TEST_F(NoiseHandshakeTest, XxAndNnRoundTrip) {
  for (const char* protocol : {kXx, kNn}) {
    SCOPED_TRACE(protocol);
    HandshakeState initiator = Initiator(protocol);
    HandshakeState responder = Responder(protocol);
    auto [a, b] = Complete(initiator, responder);
    ExpectTransportWorks(a, b);
  }
}

TEST_F(NoiseHandshakeTest, NonceExhaustionOnBothSides) {
  HandshakeState initiator = Initiator(kKk);
  HandshakeState responder = Responder(kKk);
  auto [a, b] = Complete(initiator, responder);
  a.send.SetNonce(kLastUsableNonce);
  b.receive.SetNonce(kLastUsableNonce);
  Result<Bytes> last = a.send.EncryptWithAd({}, B("last"));
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  ASSERT_TRUE(b.receive.DecryptWithAd({}, *last).ok());

  Result<Bytes> beyond = a.send.EncryptWithAd({}, B("one too many"));
  EXPECT_EQ(beyond.status().code(), Code::kResourceExhausted);
  EXPECT_NE(beyond.status().message().find("nonce exhausted"), std::string::npos);
  Result<Bytes> opened = b.receive.DecryptWithAd({}, *last);
  EXPECT_EQ(opened.status().code(), Code::kResourceExhausted);
  EXPECT_NE(opened.status().message().find("nonce exhausted"), std::string::npos);
}

TEST_F(NoiseHandshakeTest, OversizePayloadFailsOnWriteAndLeavesTheStateUsable) {
  HandshakeState initiator = Initiator(kKk);
  HandshakeState responder = Responder(kKk);
  const Bytes too_big(kMaxMessageSize - kKkFirstMessageOverhead + 1);
  EXPECT_EQ(initiator.WriteMessage(too_big).status().code(), Code::kResourceExhausted);
  // The largest payload that fits makes a message of exactly kMaxMessageSize.
  const Bytes largest(kMaxMessageSize - kKkFirstMessageOverhead);
  const Bytes message = Deliver(initiator, responder, largest);
  EXPECT_EQ(message.size(), kMaxMessageSize);
}

TEST_F(NoiseHandshakeTest, OversizeMessageFailsOnRead) {
  HandshakeState responder = Responder(kKk);
  EXPECT_EQ(responder.ReadMessage(Bytes(kMaxMessageSize + 1)).status().code(),
            Code::kResourceExhausted);
  ExpectUnusable(responder, Bytes(kMaxMessageSize));
}

TEST_F(NoiseHandshakeTest, OversizeTransportMessageFails) {
  HandshakeState initiator = Initiator(kKk);
  HandshakeState responder = Responder(kKk);
  auto [a, b] = Complete(initiator, responder);
  EXPECT_EQ(a.send.EncryptWithAd({}, Bytes(kMaxMessageSize - kTagSize + 1)).status().code(),
            Code::kResourceExhausted);
  Result<Bytes> largest = a.send.EncryptWithAd({}, Bytes(kMaxMessageSize - kTagSize));
  ASSERT_TRUE(largest.ok()) << largest.status().ToString();
  EXPECT_EQ(largest->size(), kMaxMessageSize);
  EXPECT_TRUE(b.receive.DecryptWithAd({}, *largest).ok());
  EXPECT_EQ(b.receive.DecryptWithAd({}, Bytes(kMaxMessageSize + 1)).status().code(),
            Code::kResourceExhausted);
}

TEST_F(NoiseHandshakeTest, TruncatedMessagesFail) {
  HandshakeState initiator = Initiator(kKk);
  Result<Bytes> message = initiator.WriteMessage(B("hello"));
  ASSERT_TRUE(message.ok());
  for (size_t size : {size_t{0}, size_t{20}, kDhLen, kDhLen + kTagSize - 1, message->size() - 1}) {
    SCOPED_TRACE(size);
    HandshakeState responder = Responder(kKk);
    Result<Bytes> read = responder.ReadMessage(std::span(*message).first(size));
    EXPECT_FALSE(read.ok());
    EXPECT_NE(read.status().code(), Code::kFailedPrecondition);
    ExpectUnusable(responder, *message);
  }
}

TEST_F(NoiseHandshakeTest, TamperedHandshakeMessageFailsAuthentication) {
  HandshakeState initiator = Initiator(kKk);
  Result<Bytes> message = initiator.WriteMessage(B("hello"));
  ASSERT_TRUE(message.ok());
  // A bit flipped in the ephemeral key, and one in the encrypted payload.
  for (size_t index : {size_t{3}, message->size() - 1}) {
    SCOPED_TRACE(index);
    Bytes tampered = *message;
    tampered[index] ^= 0x01;
    HandshakeState responder = Responder(kKk);
    EXPECT_EQ(responder.ReadMessage(tampered).status().code(), Code::kAuthenticationFailed);
    // A failed handshake is never continued, not even with the genuine message.
    ExpectUnusable(responder, *message);
  }
}

TEST_F(NoiseHandshakeTest, LowOrderEphemeralKeyFails) {
  // XX's first message is unauthenticated, so an all-zero (low-order) e is only caught
  // at the responder's ee; the failed write must also end the handshake.
  HandshakeState responder = Responder(kXx);
  const Bytes zero_key(kDhLen);
  ASSERT_TRUE(responder.ReadMessage(zero_key).ok());
  EXPECT_EQ(responder.WriteMessage(B("second")).status().code(), Code::kAuthenticationFailed);
  ExpectUnusable(responder, zero_key);
  // KK mixes es right away, so the responder refuses it on read.
  HandshakeState kk_responder = Responder(kKk);
  EXPECT_EQ(kk_responder.ReadMessage(Bytes(kDhLen + kTagSize)).status().code(),
            Code::kAuthenticationFailed);
}

TEST_F(NoiseHandshakeTest, TamperedTransportMessageFailsAndKeepsTheNonce) {
  HandshakeState initiator = Initiator(kKk);
  HandshakeState responder = Responder(kKk);
  auto [a, b] = Complete(initiator, responder);
  Result<Bytes> sealed = a.send.EncryptWithAd({}, B("transfer 10 coins"));
  ASSERT_TRUE(sealed.ok());
  Bytes tampered = *sealed;
  tampered[0] ^= 0x80;
  EXPECT_EQ(b.receive.DecryptWithAd({}, tampered).status().code(), Code::kAuthenticationFailed);
  EXPECT_EQ(b.receive.nonce(), 0u);
  EXPECT_TRUE(b.receive.DecryptWithAd({}, *sealed).ok());
  EXPECT_EQ(b.receive.DecryptWithAd({}, Bytes(kTagSize - 1)).status().code(),
            Code::kInvalidArgument);
}

TEST_F(NoiseHandshakeTest, WrongPskFailsAuthentication) {
  HandshakeState initiator = Initiator(kIkPsk2);
  SecretBytes other_psk = SecretBytes::Random(kPskSize);
  HandshakeConfig config = Config(kIkPsk2, Role::kResponder);
  config.psks = {&other_psk};
  HandshakeState responder = Create(config);
  // IKpsk2 mixes the psk at the end of the second message, so the initiator notices.
  Deliver(initiator, responder, B("first"));
  Result<Bytes> second = responder.WriteMessage(B("second"));
  ASSERT_TRUE(second.ok());
  Result<Bytes> read = initiator.ReadMessage(*second);
  EXPECT_EQ(read.status().code(), Code::kAuthenticationFailed);
  EXPECT_EQ(read.status().message().find(crypto::ToHex(psk_.span())), std::string::npos);
  EXPECT_EQ(read.status().message().find(crypto::ToHex(other_psk.span())), std::string::npos);
  EXPECT_FALSE(initiator.IsFinished());
  ExpectUnusable(initiator, *second);
}

TEST_F(NoiseHandshakeTest, KkResponderExpectingAnotherInitiatorFails) {
  HandshakeState initiator = Initiator(kKk);
  const KeyPair mallory = KeyPair::Generate();
  HandshakeConfig config = Config(kKk, Role::kResponder);
  config.remote_static = mallory.public_key;
  HandshakeState responder = Create(config);
  Result<Bytes> message = initiator.WriteMessage(B("hello"));
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(responder.ReadMessage(*message).status().code(), Code::kAuthenticationFailed);
  ExpectUnusable(responder, *message);
}

TEST_F(NoiseHandshakeTest, IkInitiatorExpectingAnotherResponderFails) {
  const KeyPair mallory = KeyPair::Generate();
  HandshakeConfig config = Config(kIkPsk2, Role::kInitiator);
  config.remote_static = mallory.public_key;
  HandshakeState initiator = Create(config);
  HandshakeState responder = Responder(kIkPsk2);
  Result<Bytes> message = initiator.WriteMessage(B("hello"));
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(responder.ReadMessage(*message).status().code(), Code::kAuthenticationFailed);
}

TEST_F(NoiseHandshakeTest, ReplayedHandshakeMessageFails) {
  for (const char* protocol : {kKk, kIkPsk2}) {
    SCOPED_TRACE(protocol);
    HandshakeState initiator = Initiator(protocol);
    HandshakeState responder = Responder(protocol);
    const Bytes first = Deliver(initiator, responder, B("first"));
    EXPECT_EQ(responder.ReadMessage(first).status().code(), Code::kFailedPrecondition);
    ExpectUnusable(responder, first);
  }
  // The initiator, once finished, refuses the responder's last message a second time.
  HandshakeState initiator = Initiator(kKk);
  HandshakeState responder = Responder(kKk);
  Deliver(initiator, responder, B("first"));
  const Bytes second = Deliver(responder, initiator, B("second"));
  EXPECT_EQ(initiator.ReadMessage(second).status().code(), Code::kFailedPrecondition);
}

TEST_F(NoiseHandshakeTest, ReorderedHandshakeMessageFails) {
  // XX: after sending message 2 the responder expects message 3; an old message 1 arriving
  // in its place must not be accepted.
  HandshakeState initiator = Initiator(kXx);
  HandshakeState responder = Responder(kXx);
  const Bytes first = Deliver(initiator, responder, B("first"));
  const Bytes second = Deliver(responder, initiator, B("second"));
  EXPECT_FALSE(responder.ReadMessage(first).ok());
  ExpectUnusable(responder, first);

  // An initiator handed message 2 before it sent message 1 refuses it.
  HandshakeState early = Initiator(kXx);
  EXPECT_EQ(early.ReadMessage(second).status().code(), Code::kFailedPrecondition);
  ExpectUnusable(early, second);

  // A reflected message: the KK initiator fed its own first message.
  HandshakeState kk_initiator = Initiator(kKk);
  Result<Bytes> own = kk_initiator.WriteMessage(B("first"));
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(kk_initiator.ReadMessage(*own).status().code(), Code::kAuthenticationFailed);
}

TEST_F(NoiseHandshakeTest, ReorderedTransportMessageFails) {
  HandshakeState initiator = Initiator(kKk);
  HandshakeState responder = Responder(kKk);
  auto [a, b] = Complete(initiator, responder);
  Result<Bytes> first = a.send.EncryptWithAd({}, B("first"));
  Result<Bytes> second = a.send.EncryptWithAd({}, B("second"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(b.receive.DecryptWithAd({}, *second).status().code(), Code::kAuthenticationFailed);
  EXPECT_TRUE(b.receive.DecryptWithAd({}, *first).ok());
  EXPECT_EQ(b.receive.DecryptWithAd({}, *first).status().code(), Code::kAuthenticationFailed);
}

TEST_F(NoiseHandshakeTest, RekeyKeepsBothSidesTalkingWithNewCiphertext) {
  HandshakeState initiator = Initiator(kKk);
  HandshakeState responder = Responder(kKk);
  auto [a, b] = Complete(initiator, responder);
  const Bytes payload = B("same words, new key");
  Result<Bytes> before = a.send.EncryptWithAd({}, payload);
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(b.receive.DecryptWithAd({}, *before).ok());

  a.send.Rekey();
  b.receive.Rekey();
  EXPECT_EQ(a.send.nonce(), 1u);  // Rekey leaves n alone.
  // Same key slot and nonce as `before`, so only the new key can change the bytes.
  a.send.SetNonce(0);
  b.receive.SetNonce(0);
  Result<Bytes> after = a.send.EncryptWithAd({}, payload);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after, *before);
  Result<Bytes> opened = b.receive.DecryptWithAd({}, *after);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, payload);

  // A receiver that did not rekey cannot read the new key's messages.
  Result<Bytes> next = b.send.EncryptWithAd({}, payload);
  ASSERT_TRUE(next.ok());
  a.receive.Rekey();
  EXPECT_EQ(a.receive.DecryptWithAd({}, *next).status().code(), Code::kAuthenticationFailed);
}

TEST_F(NoiseHandshakeTest, OutOfTurnCallsFail) {
  HandshakeState initiator = Initiator(kKk);
  HandshakeState responder = Responder(kKk);
  EXPECT_EQ(responder.WriteMessage(B("me first")).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(initiator.Split().status().code(), Code::kFailedPrecondition);  // Not finished.
  // A refused write leaves the state usable.
  auto [a, b] = Complete(initiator, responder);
  EXPECT_EQ(initiator.WriteMessage(B("after")).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(responder.WriteMessage(B("after")).status().code(), Code::kFailedPrecondition);
  // The transport keys are handed out once only: a second copy would reuse nonces.
  EXPECT_EQ(initiator.Split().status().code(), Code::kFailedPrecondition);
  EXPECT_FALSE(initiator.HandshakeHash().empty());
}

TEST_F(NoiseHandshakeTest, MovedFromStateFails) {
  HandshakeState initiator = Initiator(kKk);
  HandshakeState moved = std::move(initiator);
  EXPECT_EQ(initiator.WriteMessage(B("x")).status().code(),  // NOLINT(bugprone-use-after-move)
            Code::kFailedPrecondition);
  EXPECT_TRUE(moved.WriteMessage(B("x")).ok());
}

TEST_F(NoiseHandshakeTest, UnknownProtocolNamesAreRefused) {
  const std::vector<std::pair<std::string, Code>> cases = {
      {"Noise_ZZ_25519_ChaChaPoly_BLAKE2b", Code::kUnsupported},
      {"Noise_KK_448_ChaChaPoly_BLAKE2b", Code::kUnsupported},
      {"Noise_KK_25519_AESGCM_BLAKE2b", Code::kUnsupported},
      {"Noise_KK_25519_ChaChaPoly_SHA512", Code::kUnsupported},
      {"Noise_XXfallback_25519_ChaChaPoly_BLAKE2b", Code::kUnsupported},
      {"Noise_KKpsk3_25519_ChaChaPoly_BLAKE2b", Code::kInvalidArgument},
      {"Noise_KKpsk0+psk0_25519_ChaChaPoly_BLAKE2b", Code::kInvalidArgument},
      {"Noise_KKpskx_25519_ChaChaPoly_BLAKE2b", Code::kInvalidArgument},
      {"Noise_KK_25519_ChaChaPoly", Code::kInvalidArgument},
      {"Noise_KK_25519_ChaChaPoly_BLAKE2b_extra", Code::kInvalidArgument},
      {"Nois_KK_25519_ChaChaPoly_BLAKE2b", Code::kInvalidArgument},
      {"", Code::kInvalidArgument},
  };
  for (const auto& [name, code] : cases) {
    SCOPED_TRACE(name);
    HandshakeConfig config = Config(kKk, Role::kInitiator);
    config.protocol_name = name;
    EXPECT_EQ(HandshakeState::Create(config).status().code(), code);
  }
}

TEST_F(NoiseHandshakeTest, MissingOrUnneededKeysAreRefused) {
  HandshakeConfig no_static = Config(kKk, Role::kInitiator);
  no_static.local_static = nullptr;
  EXPECT_EQ(HandshakeState::Create(no_static).status().code(), Code::kInvalidArgument);

  HandshakeConfig no_remote = Config(kKk, Role::kResponder);
  no_remote.remote_static.reset();
  EXPECT_EQ(HandshakeState::Create(no_remote).status().code(), Code::kInvalidArgument);

  HandshakeConfig no_psk = Config(kIkPsk2, Role::kResponder);
  no_psk.psks.clear();
  EXPECT_EQ(HandshakeState::Create(no_psk).status().code(), Code::kInvalidArgument);

  SecretBytes short_psk = SecretBytes::Random(kPskSize - 1);
  HandshakeConfig bad_psk = Config(kIkPsk2, Role::kInitiator);
  bad_psk.psks = {&short_psk};
  EXPECT_EQ(HandshakeState::Create(bad_psk).status().code(), Code::kInvalidArgument);

  HandshakeConfig null_psk = Config(kIkPsk2, Role::kInitiator);
  null_psk.psks = {nullptr};
  EXPECT_EQ(HandshakeState::Create(null_psk).status().code(), Code::kInvalidArgument);

  // XX learns the peer's key during the handshake; a key given in advance would go unchecked.
  HandshakeConfig unused_remote = Config(kXx, Role::kInitiator);
  unused_remote.remote_static = bob_.public_key;
  EXPECT_EQ(HandshakeState::Create(unused_remote).status().code(), Code::kInvalidArgument);

  HandshakeConfig extra_psk = Config(kKk, Role::kInitiator);
  extra_psk.psks = {&psk_};
  EXPECT_EQ(HandshakeState::Create(extra_psk).status().code(), Code::kInvalidArgument);
}

TEST(NoiseHandshakePattern, PskModifiersFollowSection9) {
  Result<HandshakePattern> ik = HandshakePatternFromName("IKpsk2");
  ASSERT_TRUE(ik.ok());
  EXPECT_EQ(ik->messages[0], (MessagePattern{Token::kE, Token::kES, Token::kS, Token::kSS}));
  EXPECT_EQ(ik->messages[1], (MessagePattern{Token::kE, Token::kEE, Token::kSE, Token::kPsk}));
  EXPECT_EQ(ik->responder_premessage, (MessagePattern{Token::kS}));
  EXPECT_TRUE(ik->initiator_premessage.empty());

  Result<HandshakePattern> xx = HandshakePatternFromName("XXpsk3");
  ASSERT_TRUE(xx.ok());
  EXPECT_EQ(xx->messages[2], (MessagePattern{Token::kS, Token::kSE, Token::kPsk}));

  Result<HandshakePattern> kk = HandshakePatternFromName("KKpsk0+psk2");
  ASSERT_TRUE(kk.ok());
  EXPECT_EQ(kk->messages[0].front(), Token::kPsk);
  EXPECT_EQ(kk->messages[1].back(), Token::kPsk);
  EXPECT_EQ(kk->PskCount(), 2u);
  EXPECT_FALSE(HandshakePatternFromName("NN")->IsPsk());
}

// RFC 4231 test cases 2 and 6 (a key longer than the block is hashed first).
TEST(NoiseHashFunction, HmacSha256MatchesRfc4231) {
  const HashFunction sha256(HashAlgorithm::kSha256);
  EXPECT_EQ(
      crypto::ToHex(sha256.Hmac(AsBytes("Jefe"), {AsBytes("what do ya want for nothing?")}).span()),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const Bytes long_key(131, 0xaa);
  EXPECT_EQ(
      crypto::ToHex(
          sha256.Hmac(long_key, {AsBytes("Test Using Larger Than Block-Size Key - Hash Key First")})
              .span()),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

}  // namespace
}  // namespace inmost::noise
