// Decodes one request from the start of a protobuf control connection's input: the
// 4-byte length prefix, the size limit and the serialized Request. Pure and free of
// Asio, so the session uses it and a fuzz target drives it with hostile bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/control.pb.h"

namespace inmost::control {

struct RequestFrame {
  enum class Outcome {
    kIncomplete,  // More bytes are needed; nothing was consumed.
    kTooLarge,    // The length prefix exceeds the limit: the stream cannot go on.
    kMalformed,   // A whole frame whose body is not a Request: skip `consumed` bytes.
    kRequest,     // `request` holds the frame's Request: skip `consumed` bytes.
  };
  Outcome outcome = Outcome::kIncomplete;
  // The length prefix, once at least its 4 bytes are in (every outcome but some kIncomplete).
  uint32_t declared_size = 0;
  // Bytes of input the frame took: prefix and body (kMalformed, kRequest), else 0.
  size_t consumed = 0;
  Request request;  // kRequest only.
};

// Decodes the frame at the start of `input`. The limit is checked as soon as the
// prefix is in, before the body arrives.
RequestFrame DecodeRequestFrame(std::string_view input, size_t max_request_bytes);

}  // namespace inmost::control
