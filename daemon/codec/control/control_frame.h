// The length-prefixed protobuf encoding of the control socket: a 4-byte big-endian
// length, then that many bytes of a serialized message. It only frames bytes; it
// never decides what a frame means or how large one may be.
#pragma once

#include <google/protobuf/message_lite.h>

#include <cstdint>
#include <string>

namespace inmost::control {

inline constexpr size_t kLengthPrefixBytes = 4;

// Returns the length prefix followed by `message` serialized.
std::string EncodeLengthPrefixed(const google::protobuf::MessageLite& message);

// Reads the big-endian length at `prefix` (kLengthPrefixBytes bytes).
uint32_t DecodeLengthPrefix(const char* prefix);

}  // namespace inmost::control
