// Fuzz target: arbitrary bytes as the first handshake message to Noise responders (KK,
// IKpsk2, and XX, whose first message is unauthenticated and so gets furthest). Reading
// must succeed or fail with a Status; it must never crash, abort or touch memory it should not.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/noise/handshake_state.h"

namespace inmost::noise {
namespace {

// Fixed test keys (never used for anything real), so the seed corpus can hold valid messages.
constexpr std::array<uint8_t, crypto::kX25519KeySize> kInitiatorPrivate = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20};
constexpr std::array<uint8_t, crypto::kX25519KeySize> kResponderPrivate = {
    0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
    0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40};
constexpr std::array<uint8_t, kPskSize> kPsk = {
    0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50,
    0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60};
constexpr char kPrologue[] = "inmost fuzz";

// Reads `message` as the first message; if it is accepted, finishes the handshake too.
void Respond(const HandshakeConfig& config, std::span<const uint8_t> message) {
  Result<HandshakeState> responder = HandshakeState::Create(config);
  if (!responder.ok()) __builtin_trap();  // The fixed configs are valid.
  if (!responder->ReadMessage(message).ok()) return;
  if (!responder->WriteMessage({}).ok()) return;
  if (responder->IsFinished()) (void)responder->Split();
}

}  // namespace
}  // namespace inmost::noise

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace inmost;  // NOLINT(google-build-using-namespace): a tiny entry point.
  const std::span<const uint8_t> message(data, size);
  Result<crypto::KeyPair> initiator = crypto::KeyPair::FromPrivate(noise::kInitiatorPrivate);
  Result<crypto::KeyPair> responder = crypto::KeyPair::FromPrivate(noise::kResponderPrivate);
  if (!initiator.ok() || !responder.ok()) __builtin_trap();
  const crypto::SecretBytes psk = crypto::SecretBytes::CopyOf(noise::kPsk);

  noise::HandshakeConfig config;
  config.role = noise::Role::kResponder;
  const auto prologue = crypto::AsBytes(noise::kPrologue);
  config.prologue.assign(prologue.begin(), prologue.end());
  config.local_static = &*responder;

  config.protocol_name = "Noise_KK_25519_ChaChaPoly_BLAKE2b";
  config.remote_static = initiator->public_key;
  noise::Respond(config, message);

  config.protocol_name = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b";
  config.remote_static.reset();
  config.psks = {&psk};
  noise::Respond(config, message);

  config.protocol_name = "Noise_XX_25519_ChaChaPoly_BLAKE2b";
  config.psks.clear();
  noise::Respond(config, message);
  return 0;
}
