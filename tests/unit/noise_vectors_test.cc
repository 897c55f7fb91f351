// Replays the public Noise test vectors (tests/data/noise_vectors.json, see the README there):
// every handshake and transport message of every supported vector must match byte for byte.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/noise/handshake_state.h"
#include "daemon/noise/protocol_name.h"
#include "inmost/status.h"
#include "tests/noise_vectors.pb.h"

namespace inmost::noise {
namespace {

using crypto::Bytes;
using crypto::KeyPair;
using crypto::PublicKey;
using crypto::SecretBytes;

constexpr char kVectorsEnvironmentVariable[] = "INMOST_NOISE_VECTORS";

// Every one of these must have at least one vector replayed.
std::vector<std::string> RequiredProtocols() {
  return {
      "Noise_KK_25519_ChaChaPoly_BLAKE2b", "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b",
      "Noise_NN_25519_ChaChaPoly_BLAKE2b", "Noise_XX_25519_ChaChaPoly_BLAKE2b",
      "Noise_IK_25519_ChaChaPoly_BLAKE2b",
  };
}

std::string DefaultVectorsPath() {
  return std::string(INMOST_TEST_DATA_DIR) + "/noise_vectors.json";
}

// The vectors file to replay: $INMOST_NOISE_VECTORS if set, else the repository's copy.
std::string VectorsPath() {
  const char* path = std::getenv(kVectorsEnvironmentVariable);
  return (path != nullptr && *path != '\0') ? std::string(path) : DefaultVectorsPath();
}

Result<test::NoiseVectorFile> ParseVectors(const std::string& json) {
  test::NoiseVectorFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // The file also carries each vector's "source".
  const auto status = google::protobuf::util::JsonStringToMessage(json, &file, options);
  if (!status.ok()) return Corruption("cannot parse the Noise vectors: " + status.ToString());
  if (file.vectors_size() == 0) return Corruption("the Noise vectors file holds no vectors");
  return file;
}

Result<test::NoiseVectorFile> LoadVectors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open the Noise vectors file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError("cannot read the Noise vectors file " + path);
  return ParseVectors(text.str());
}

// A vector with its hex decoded.
struct DecodedVector {
  std::string protocol_name;
  Bytes init_prologue;
  Bytes resp_prologue;
  std::optional<KeyPair> init_static;
  std::optional<KeyPair> resp_static;
  std::optional<KeyPair> init_ephemeral;
  std::optional<KeyPair> resp_ephemeral;
  std::optional<PublicKey> init_remote_static;
  std::optional<PublicKey> resp_remote_static;
  std::vector<SecretBytes> init_psks;
  std::vector<SecretBytes> resp_psks;
  Bytes handshake_hash;
  std::vector<Bytes> payloads;
  std::vector<Bytes> ciphertexts;
};

Status DecodeKeyPair(const std::string& hex, std::optional<KeyPair>& out) {
  if (hex.empty()) return Status::Ok();
  Result<Bytes> bytes = crypto::FromHex(hex);
  if (!bytes.ok()) return bytes.status();
  Result<KeyPair> key_pair = KeyPair::FromPrivate(*bytes);
  if (!key_pair.ok()) return key_pair.status();
  out = std::move(key_pair).value();
  return Status::Ok();
}

Status DecodePublicKey(const std::string& hex, std::optional<PublicKey>& out) {
  if (hex.empty()) return Status::Ok();
  Result<Bytes> bytes = crypto::FromHex(hex);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != crypto::kX25519KeySize) return InvalidArgument("bad public key size");
  out.emplace();
  std::copy(bytes->begin(), bytes->end(), out->begin());
  return Status::Ok();
}

Status DecodeBytes(const std::string& hex, Bytes& out) {
  Result<Bytes> bytes = crypto::FromHex(hex);
  if (!bytes.ok()) return bytes.status();
  out = std::move(bytes).value();
  return Status::Ok();
}

template <typename Strings>
Status DecodePsks(const Strings& hexes, std::vector<SecretBytes>& out) {
  for (const std::string& hex : hexes) {
    Bytes psk;
    INMOST_RETURN_IF_ERROR(DecodeBytes(hex, psk));
    out.push_back(SecretBytes::CopyOf(psk));
  }
  return Status::Ok();
}

Result<DecodedVector> Decode(const test::NoiseVector& v) {
  DecodedVector d;
  d.protocol_name = v.protocol_name();
  INMOST_RETURN_IF_ERROR(DecodeBytes(v.init_prologue(), d.init_prologue));
  INMOST_RETURN_IF_ERROR(DecodeBytes(v.resp_prologue(), d.resp_prologue));
  INMOST_RETURN_IF_ERROR(DecodeKeyPair(v.init_static(), d.init_static));
  INMOST_RETURN_IF_ERROR(DecodeKeyPair(v.resp_static(), d.resp_static));
  INMOST_RETURN_IF_ERROR(DecodeKeyPair(v.init_ephemeral(), d.init_ephemeral));
  INMOST_RETURN_IF_ERROR(DecodeKeyPair(v.resp_ephemeral(), d.resp_ephemeral));
  INMOST_RETURN_IF_ERROR(DecodePublicKey(v.init_remote_static(), d.init_remote_static));
  INMOST_RETURN_IF_ERROR(DecodePublicKey(v.resp_remote_static(), d.resp_remote_static));
  INMOST_RETURN_IF_ERROR(DecodePsks(v.init_psks(), d.init_psks));
  INMOST_RETURN_IF_ERROR(DecodePsks(v.resp_psks(), d.resp_psks));
  INMOST_RETURN_IF_ERROR(DecodeBytes(v.handshake_hash(), d.handshake_hash));
  for (const auto& message : v.messages()) {
    d.payloads.emplace_back();
    d.ciphertexts.emplace_back();
    INMOST_RETURN_IF_ERROR(DecodeBytes(message.payload(), d.payloads.back()));
    INMOST_RETURN_IF_ERROR(DecodeBytes(message.ciphertext(), d.ciphertexts.back()));
  }
  return d;
}

const KeyPair* PointerTo(const std::optional<KeyPair>& key_pair) {
  return key_pair.has_value() ? &*key_pair : nullptr;
}

HandshakeConfig ConfigFor(const DecodedVector& d, Role role) {
  const bool initiator = role == Role::kInitiator;
  HandshakeConfig config;
  config.protocol_name = d.protocol_name;
  config.role = role;
  config.prologue = initiator ? d.init_prologue : d.resp_prologue;
  config.local_static = PointerTo(initiator ? d.init_static : d.resp_static);
  config.remote_static = initiator ? d.init_remote_static : d.resp_remote_static;
  for (const SecretBytes& psk : initiator ? d.init_psks : d.resp_psks) config.psks.push_back(&psk);
  config.fixed_ephemeral = PointerTo(initiator ? d.init_ephemeral : d.resp_ephemeral);
  return config;
}

// Runs both sides of one vector. Sets `*checked` only if every step matched.
void ReplayVector(const test::NoiseVector& vector, bool* checked) {
  SCOPED_TRACE(vector.protocol_name());
  Result<DecodedVector> decoded = Decode(vector);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const DecodedVector& d = *decoded;
  ASSERT_EQ(d.payloads.size(), d.ciphertexts.size());

  Result<HandshakeState> initiator = HandshakeState::Create(ConfigFor(d, Role::kInitiator));
  ASSERT_TRUE(initiator.ok()) << initiator.status().ToString();
  Result<HandshakeState> responder = HandshakeState::Create(ConfigFor(d, Role::kResponder));
  ASSERT_TRUE(responder.ok()) << responder.status().ToString();

  std::optional<TransportKeys> initiator_keys;
  std::optional<TransportKeys> responder_keys;
  for (size_t i = 0; i < d.payloads.size(); ++i) {
    SCOPED_TRACE("message " + std::to_string(i));
    const bool from_initiator = i % 2 == 0;  // The initiator writes even indexes.
    Result<Bytes> ciphertext = Bytes();
    Result<Bytes> plaintext = Bytes();
    if (!initiator_keys.has_value()) {
      HandshakeState& writer = from_initiator ? *initiator : *responder;
      HandshakeState& reader = from_initiator ? *responder : *initiator;
      ASSERT_TRUE(writer.IsMyTurnToWrite());
      ASSERT_FALSE(reader.IsMyTurnToWrite());
      ciphertext = writer.WriteMessage(d.payloads[i]);
      ASSERT_TRUE(ciphertext.ok()) << ciphertext.status().ToString();
      plaintext = reader.ReadMessage(*ciphertext);
    } else {
      // Transport: the initiator sends with Split's first cipher, the responder the second.
      CipherState& sender = from_initiator ? initiator_keys->send : responder_keys->send;
      CipherState& receiver = from_initiator ? responder_keys->receive : initiator_keys->receive;
      ciphertext = sender.EncryptWithAd({}, d.payloads[i]);
      ASSERT_TRUE(ciphertext.ok()) << ciphertext.status().ToString();
      plaintext = receiver.DecryptWithAd({}, *ciphertext);
    }
    ASSERT_EQ(crypto::ToHex(*ciphertext), crypto::ToHex(d.ciphertexts[i]));
    ASSERT_TRUE(plaintext.ok()) << plaintext.status().ToString();
    ASSERT_EQ(crypto::ToHex(*plaintext), crypto::ToHex(d.payloads[i]));

    if (!initiator_keys.has_value() && initiator->IsFinished()) {
      ASSERT_TRUE(responder->IsFinished());
      ASSERT_EQ(crypto::ToHex(initiator->HandshakeHash()), crypto::ToHex(d.handshake_hash));
      ASSERT_EQ(crypto::ToHex(responder->HandshakeHash()), crypto::ToHex(d.handshake_hash));
      Result<TransportKeys> keys = initiator->Split();
      ASSERT_TRUE(keys.ok()) << keys.status().ToString();
      initiator_keys = std::move(keys).value();
      keys = responder->Split();
      ASSERT_TRUE(keys.ok()) << keys.status().ToString();
      responder_keys = std::move(keys).value();
    }
  }
  ASSERT_TRUE(initiator_keys.has_value()) << "the vector ends before the handshake does";
  // A learned or given remote static key must be the peer's.
  if (d.resp_static.has_value()) {
    ASSERT_EQ(initiator->remote_static(), std::optional<PublicKey>(d.resp_static->public_key));
  }
  if (d.init_static.has_value()) {
    ASSERT_EQ(responder->remote_static(), std::optional<PublicKey>(d.init_static->public_key));
  }
  *checked = true;
}

struct Counts {
  int checked = 0;
  int skipped = 0;
};

TEST(NoiseVectors, ReplaysEverySupportedVector) {
  const std::string path = VectorsPath();
  Result<test::NoiseVectorFile> file = LoadVectors(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();

  std::map<std::string, Counts> counts;
  for (const test::NoiseVector& vector : file->vectors()) {
    Counts& count = counts[vector.protocol_name()];
    if (!ParseProtocolName(vector.protocol_name()).ok()) {
      ++count.skipped;
      continue;
    }
    bool checked = false;
    ReplayVector(vector, &checked);
    if (checked) ++count.checked;
  }

  for (const auto& [protocol, count] : counts) {
    if (count.checked > 0 || count.skipped == 0) {
      std::cout << "noise vectors: " << protocol << ": " << count.checked << " checked\n";
    }
    if (count.skipped > 0) {
      std::cout << "noise vectors: " << protocol << ": " << count.skipped
                << " skipped (unsupported protocol)\n";
    }
  }
  for (const std::string& protocol : RequiredProtocols()) {
    EXPECT_GT(counts[protocol].checked, 0) << "no vector checked for " << protocol;
  }
  if (path == DefaultVectorsPath()) {
    // The repository's file holds only protocols this engine supports.
    for (const auto& [protocol, count] : counts) {
      EXPECT_EQ(count.skipped, 0) << protocol << " should be supported";
    }
  }
}

TEST(NoiseVectors, MissingOrBrokenFileIsAnError) {
  EXPECT_EQ(LoadVectors(std::string(INMOST_TEST_DATA_DIR) + "/no_such_file.json").status().code(),
            Code::kNotFound);
  EXPECT_EQ(ParseVectors("not json").status().code(), Code::kCorruption);
  EXPECT_EQ(ParseVectors("{}").status().code(), Code::kCorruption);
  EXPECT_EQ(ParseVectors(R"({"vectors": []})").status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace inmost::noise
