#include "daemon/peer/session_handshake.h"

#include <string>
#include <utility>

#include "daemon/peer/hello.h"

namespace inmost::peer {

namespace {

noise::HandshakeConfig SessionConfig(noise::Role role, const crypto::KeyPair& identity,
                                     const crypto::PublicKey& partner) {
  noise::HandshakeConfig config;
  config.protocol_name = std::string(kSessionProtocolName);
  config.role = role;
  config.prologue = PrologueFor(HelloType::kSession);
  config.local_static = &identity;
  config.remote_static = partner;
  return config;
}

}  // namespace

Result<SessionInitiation> StartSessionHandshake(const crypto::KeyPair& identity,
                                                const crypto::PublicKey& partner) {
  auto state =
      noise::HandshakeState::Create(SessionConfig(noise::Role::kInitiator, identity, partner));
  if (!state.ok()) return state.status();
  // -> e, es, ss
  auto message1 = state->WriteMessage({});
  if (!message1.ok()) return message1.status();
  crypto::Bytes hello = BuildHello(HelloType::kSession, *message1, Mac1KeyFor(partner));
  return SessionInitiation{std::move(*state), std::move(hello)};
}

Result<noise::TransportKeys> FinishSessionHandshake(noise::HandshakeState& state,
                                                    std::span<const uint8_t> message2) {
  // <- e, ee, se
  auto payload = state.ReadMessage(message2);
  if (!payload.ok() || !state.IsFinished()) {
    return PermissionDenied("the partner's reply did not authenticate");
  }
  return state.Split();
}

Result<SessionResponse> RespondToSessionHandshake(const crypto::KeyPair& identity,
                                                  const crypto::PublicKey& partner,
                                                  std::span<const uint8_t> message1) {
  auto state =
      noise::HandshakeState::Create(SessionConfig(noise::Role::kResponder, identity, partner));
  if (!state.ok()) return state.status();
  // -> e, es, ss: ss only matches when the initiator holds the partner's static key.
  auto payload = state->ReadMessage(message1);
  if (!payload.ok()) return PermissionDenied("refused session from an unknown key");
  // <- e, ee, se
  auto message2 = state->WriteMessage({});
  if (!message2.ok()) return message2.status();
  auto keys = state->Split();
  if (!keys.ok()) return keys.status();
  return SessionResponse{std::move(*message2), std::move(*keys)};
}

}  // namespace inmost::peer
