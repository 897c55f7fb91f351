#include "daemon/codec/tor/add_onion_line.h"

#include <cstring>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "daemon/codec/tor/client_auth.h"
#include "daemon/codec/tor/control_text.h"
#include "daemon/codec/tor/onion_key.h"
#include "daemon/crypto/bytes.h"

namespace inmost::tor {

namespace {

// ADD_ONION asks for a new key of this type.
constexpr std::string_view kNewKey = "NEW:ED25519-V3";
// ADD_ONION never gets Detach, so a service ends with its connection. DiscardPK: Tor
// keeps a new key to itself. V3Auth: the ClientAuthV3 keys are required (without it
// Tor refuses them: "No auth type specified").
constexpr std::string_view kDiscardKeyFlag = "DiscardPK";
constexpr std::string_view kV3AuthFlag = "V3Auth";

std::span<const uint8_t> Bytes(std::string_view text) {
  return crypto::AsBytes(text);
}

bool IsPortTarget(std::string_view target) {
  return IsPlainArgument(target) && target.find_first_of(",=") == std::string_view::npos;
}

}  // namespace

Result<crypto::SecretBytes> AddOnionLine(const AddOnionRequest& request) {
  if (request.ports.empty()) return InvalidArgument("an onion service needs a port");
  // Everything after the key: nothing secret (public keys, ports).
  std::vector<std::string_view> flags;
  if (request.key == nullptr && !request.return_new_key) flags.push_back(kDiscardKeyFlag);
  if (!request.client_auth_v3.empty()) flags.push_back(kV3AuthFlag);
  std::string options;
  for (size_t i = 0; i < flags.size(); ++i) {
    options += (i == 0 ? " Flags=" : ",") + std::string(flags[i]);
  }
  for (const OnionPort& port : request.ports) {
    if (port.virtual_port == 0) return InvalidArgument("an onion service port cannot be 0");
    if (!port.target.empty() && !IsPortTarget(port.target)) {
      return InvalidArgument("not a target for an onion service port: " + Quote(port.target));
    }
    options += " Port=" + std::to_string(port.virtual_port);
    if (!port.target.empty()) options += "," + port.target;
  }
  for (const std::string& client : request.client_auth_v3) {
    if (!IsClientAuthKey(client)) {
      return InvalidArgument("not a base32 X25519 public key for ClientAuthV3: " + Quote(client));
    }
    options += " ClientAuthV3=" + client;
  }
  crypto::SecretBytes key_blob;
  if (request.key != nullptr) {
    auto encoded = EncodeOnionKey(*request.key);
    if (!encoded.ok()) return encoded.status();
    key_blob = std::move(*encoded);
  }
  return SecretLine({Bytes("ADD_ONION "), request.key != nullptr ? key_blob.span() : Bytes(kNewKey),
                     Bytes(options)});
}

crypto::SecretBytes SecretLine(std::initializer_list<std::span<const uint8_t>> parts) {
  size_t size = 0;
  for (const auto& part : parts) size += part.size();
  crypto::SecretBytes line(size);
  size_t at = 0;
  for (const auto& part : parts) {
    if (!part.empty()) std::memcpy(line.data() + at, part.data(), part.size());
    at += part.size();
  }
  return line;
}

}  // namespace inmost::tor
