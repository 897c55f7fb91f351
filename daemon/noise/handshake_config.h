// What a caller chooses for one Noise handshake: protocol, role, prologue and keys.
// Holds only borrowed pointers; must never own or copy secrets (HandshakeState copies them
// into SecretBytes when it is created, so the pointers need only outlive Create).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"

namespace inmost::noise {

enum class Role { kInitiator, kResponder };

struct HandshakeConfig {
  std::string protocol_name;  // e.g. "Noise_KK_25519_ChaChaPoly_BLAKE2b".
  Role role = Role::kInitiator;
  crypto::Bytes prologue;
  // s: required exactly when the pattern has this side send or pre-share a static key.
  const crypto::KeyPair* local_static = nullptr;
  // rs known in advance: required exactly when the pattern pre-shares the peer's static key.
  std::optional<crypto::PublicKey> remote_static;
  // One 32-byte key per psk token, in the order the tokens occur.
  std::vector<const crypto::SecretBytes*> psks;
  // Tests only: used instead of a freshly generated ephemeral key.
  const crypto::KeyPair* fixed_ephemeral = nullptr;
};

}  // namespace inmost::noise
