// The text of Tor's ADD_ONION command (control-spec 3.27) for a v3 onion service: its
// key (given, or a new one), its ports and, for a service only some clients may find,
// one ClientAuthV3 per client. The line may hold the service's key, so it lives in
// secret memory only: it must never be built in, or copied to, an ordinary string.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::tor {

// One port of an onion service: connections to `virtual_port` at the .onion address go
// to `target` ("127.0.0.1:7433", or "unix:/path"; empty means the same port on
// 127.0.0.1).
struct OnionPort {
  uint16_t virtual_port = 0;
  std::string target;
};

struct AddOnionRequest {
  // The service's key (64 bytes, kOnionKeyBytes); nullptr asks Tor for a new one.
  const crypto::SecretBytes* key = nullptr;
  std::vector<OnionPort> ports;
  // For a new key: whether Tor should return it (PrivateKey=); if not, DiscardPK.
  bool return_new_key = true;
  // The base32 X25519 public keys of the clients allowed to fetch the service's
  // descriptor (v3 client authorization). Empty: anyone who knows the address may.
  std::vector<std::string> client_auth_v3;
};

// "ADD_ONION <key or NEW:ED25519-V3> [Flags=DiscardPK,V3Auth] Port=... [ClientAuthV3=...]"
// (V3Auth with client keys).
// InvalidArgument (naming no secret) for no port, port 0, a target or a client key
// that could not be one argument of the line, or a key of the wrong size.
Result<crypto::SecretBytes> AddOnionLine(const AddOnionRequest& request);

// `parts` one after the other, in secret memory: a command line that carries a secret.
crypto::SecretBytes SecretLine(std::initializer_list<std::span<const uint8_t>> parts);

}  // namespace inmost::tor
