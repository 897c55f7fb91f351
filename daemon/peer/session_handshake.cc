#include "daemon/peer/session_handshake.h"

#include "daemon/peer/hello.h"

namespace inmost::peer {

namespace {

noise::HandshakeConfig SessionConfig(noise::Role role, const crypto::KeyPair& identity,
                                     const crypto::PublicKey& partner) {
  noise::HandshakeConfig config = HelloExchangeConfig(HelloType::kSession, role, identity);
  config.remote_static = partner;
  return config;
}

}  // namespace

Result<HelloExchangeStart> StartSessionHandshake(const crypto::KeyPair& identity,
                                                 const crypto::PublicKey& partner) {
  // -> e, es, ss
  return StartHelloExchange(SessionConfig(noise::Role::kInitiator, identity, partner),
                            HelloType::kSession, partner);
}

Result<noise::TransportKeys> FinishSessionHandshake(noise::HandshakeState& state,
                                                    std::span<const uint8_t> message2) {
  // <- e, ee, se
  return FinishHelloExchange(state, message2, "the partner's reply did not authenticate");
}

Result<HelloExchangeAnswer> RespondToSessionHandshake(const crypto::KeyPair& identity,
                                                      const crypto::PublicKey& partner,
                                                      std::span<const uint8_t> message1) {
  // -> e, es, ss: ss only matches when the initiator holds the partner's static key.
  // <- e, ee, se
  return AnswerHelloExchange(SessionConfig(noise::Role::kResponder, identity, partner), message1,
                             "refused session from an unknown key");
}

}  // namespace inmost::peer
