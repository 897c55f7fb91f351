#include "daemon/codec/control/control_frame.h"

namespace inmost::control {

std::string EncodeLengthPrefixed(const google::protobuf::MessageLite& message) {
  std::string body = message.SerializeAsString();
  auto size = static_cast<uint32_t>(body.size());
  std::string frame;
  frame.reserve(kLengthPrefixBytes + body.size());
  frame.push_back(static_cast<char>(size >> 24));
  frame.push_back(static_cast<char>(size >> 16));
  frame.push_back(static_cast<char>(size >> 8));
  frame.push_back(static_cast<char>(size));
  frame += body;
  return frame;
}

uint32_t DecodeLengthPrefix(const char* prefix) {
  auto byte = [prefix](int i) { return static_cast<uint32_t>(static_cast<uint8_t>(prefix[i])); };
  return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

}  // namespace inmost::control
