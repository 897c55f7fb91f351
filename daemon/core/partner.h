// Who the partner is: the one peer this daemon is paired with. Plain data shared
// by the core, the peer link and the store; it holds no secrets.
#pragma once

#include <string>
#include <vector>

#include "daemon/crypto/key_pair.h"

namespace inmost::core {

struct Partner {
  crypto::PublicKey static_key{};      // The partner's long-term X25519 public key.
  std::vector<std::string> addresses;  // host:port where the partner listens, best first.
};

}  // namespace inmost::core
