#include "daemon/peer/hello.h"

#include <string>

namespace inmost::peer {

crypto::Bytes PrologueFor(HelloType type) {
  crypto::Bytes prologue(kProloguePrefix.begin(), kProloguePrefix.end());
  prologue.push_back(static_cast<uint8_t>(type));
  return prologue;
}

crypto::Bytes BuildHello(HelloType type, std::span<const uint8_t> message,
                         const Mac1Key& responder_mac_key) {
  crypto::Bytes body;
  body.reserve(kHelloTypeSize + message.size() + kMac1Size);
  body.push_back(static_cast<uint8_t>(type));
  body.insert(body.end(), message.begin(), message.end());
  const Mac1 mac = ComputeMac1(responder_mac_key, body);
  body.insert(body.end(), mac.begin(), mac.end());
  return body;
}

Result<Hello> ParseHello(std::span<const uint8_t> body, const Mac1Key& own_mac_key) {
  if (body.size() < kHelloTypeSize + kMinHelloMessageSize + kMac1Size) {
    return InvalidArgument("hello too short");
  }
  const auto covered = body.first(body.size() - kMac1Size);
  if (!VerifyMac1(own_mac_key, covered, body.last(kMac1Size))) {
    return PermissionDenied("hello with a bad mac1");
  }
  const uint8_t type = covered[0];
  if (type == static_cast<uint8_t>(HelloType::kUnstampedSession)) {
    return Unsupported(
        "a session hello without replay protection: the partner runs an older inmost, "
        "which must be updated (dialling it from here still works)");
  }
  if (type != static_cast<uint8_t>(HelloType::kSession) &&
      type != static_cast<uint8_t>(HelloType::kPairing)) {
    return Unsupported("hello of unknown type " + std::to_string(type));
  }
  const auto message = covered.subspan(kHelloTypeSize);
  return Hello{static_cast<HelloType>(type), crypto::Bytes(message.begin(), message.end())};
}

}  // namespace inmost::peer
