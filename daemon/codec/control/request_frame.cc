#include "daemon/codec/control/request_frame.h"

#include "daemon/codec/control/control_frame.h"

namespace inmost::control {

RequestFrame DecodeRequestFrame(std::string_view input, size_t max_request_bytes) {
  RequestFrame frame;
  if (input.size() < kLengthPrefixBytes) return frame;
  frame.declared_size = DecodeLengthPrefix(input.data());
  if (frame.declared_size > max_request_bytes) {
    frame.outcome = RequestFrame::Outcome::kTooLarge;
    return frame;
  }
  if (input.size() - kLengthPrefixBytes < frame.declared_size) return frame;  // On its way.
  frame.consumed = kLengthPrefixBytes + frame.declared_size;
  const bool parsed = frame.request.ParseFromArray(input.data() + kLengthPrefixBytes,
                                                   static_cast<int>(frame.declared_size));
  frame.outcome = parsed ? RequestFrame::Outcome::kRequest : RequestFrame::Outcome::kMalformed;
  if (!parsed) frame.request.Clear();
  return frame;
}

}  // namespace inmost::control
