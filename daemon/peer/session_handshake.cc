#include "daemon/peer/session_handshake.h"

#include "daemon/peer/hello.h"

namespace inmost::peer {

namespace {

noise::HandshakeConfig SessionConfig(noise::Role role, const crypto::KeyPair& identity,
                                     const crypto::PublicKey& partner, const HelloStamp& stamp) {
  noise::HandshakeConfig config = HelloExchangeConfig(HelloType::kSession, role, identity);
  config.prologue.insert(config.prologue.end(), stamp.begin(), stamp.end());
  config.remote_static = partner;
  return config;
}

}  // namespace

Result<HelloExchangeStart> StartSessionHandshake(const crypto::KeyPair& identity,
                                                 const crypto::PublicKey& partner,
                                                 const HelloKeys& keys, const HelloStamp& stamp) {
  // -> e, es, ss
  return StartHelloExchange(SessionConfig(noise::Role::kInitiator, identity, partner, stamp),
                            HelloType::kSession, partner, [&](std::span<const uint8_t> message1) {
                              return SealSessionHello(static_cast<uint8_t>(HelloType::kSession),
                                                      stamp, message1, keys.to_partner);
                            });
}

Result<noise::TransportKeys> FinishSessionHandshake(noise::HandshakeState& state,
                                                    std::span<const uint8_t> message2) {
  // <- e, ee, se
  return FinishHelloExchange(state, message2, "the partner's reply did not authenticate");
}

Result<HelloExchangeAnswer> RespondToSessionHandshake(const crypto::KeyPair& identity,
                                                      const crypto::PublicKey& partner,
                                                      const SessionHello& hello) {
  // -> e, es, ss: ss only matches when the initiator holds the partner's static key.
  // <- e, ee, se
  return AnswerHelloExchange(SessionConfig(noise::Role::kResponder, identity, partner, hello.stamp),
                             hello.message1, "refused session from an unknown key");
}

}  // namespace inmost::peer
