#include "daemon/peer/hello_exchange.h"

#include <string>
#include <utility>

namespace inmost::peer {

noise::HandshakeConfig HelloExchangeConfig(HelloType type, noise::Role role,
                                           const crypto::KeyPair& identity) {
  noise::HandshakeConfig config;
  config.protocol_name =
      std::string(type == HelloType::kSession ? kSessionProtocolName : kPairingProtocolName);
  config.role = role;
  config.prologue = PrologueFor(type);
  config.local_static = &identity;
  return config;
}

Result<HelloExchangeStart> StartHelloExchange(const noise::HandshakeConfig& config, HelloType type,
                                              const crypto::PublicKey& responder,
                                              const WrapMessage1& wrap) {
  auto state = noise::HandshakeState::Create(config);
  if (!state.ok()) return state.status();
  auto message1 = state->WriteMessage({});
  if (!message1.ok()) return message1.status();
  crypto::Bytes hello =
      BuildHello(type, wrap ? wrap(*message1) : std::move(*message1), Mac1KeyFor(responder));
  return HelloExchangeStart{std::move(*state), std::move(hello)};
}

Result<noise::TransportKeys> FinishHelloExchange(noise::HandshakeState& state,
                                                 std::span<const uint8_t> message2,
                                                 std::string_view refusal) {
  auto payload = state.ReadMessage(message2);
  if (!payload.ok() || !state.IsFinished()) return PermissionDenied(std::string(refusal));
  return state.Split();
}

Result<HelloExchangeAnswer> AnswerHelloExchange(const noise::HandshakeConfig& config,
                                                std::span<const uint8_t> message1,
                                                std::string_view refusal) {
  auto state = noise::HandshakeState::Create(config);
  if (!state.ok()) return state.status();
  auto payload = state->ReadMessage(message1);
  if (!payload.ok() || !state->remote_static().has_value()) {
    return PermissionDenied(std::string(refusal));
  }
  HelloExchangeAnswer answer;
  answer.initiator_key = *state->remote_static();
  auto message2 = state->WriteMessage({});
  if (!message2.ok()) return message2.status();
  answer.message2 = std::move(*message2);
  auto keys = state->Split();
  if (!keys.ok()) return keys.status();
  answer.keys = std::move(*keys);
  return answer;
}

}  // namespace inmost::peer
