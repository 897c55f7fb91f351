// Fuzzes the length-prefixed protobuf face of the control API: a stream of frames as
// a local client could send it, decoded frame by frame as the session decodes it.
// It must never crash or read past the input, must respect the size limit, and every
// Request it accepts must survive serializing and parsing again.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/codec/control/control_frame.h"
#include "daemon/codec/control/request_frame.h"
#include "daemon/control/control_limits.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

std::string Deterministic(const google::protobuf::MessageLite& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  Check(message.SerializeToCodedStream(&out));
  out.Trim();
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using inmost::control::DecodeRequestFrame;
  using inmost::control::kLengthPrefixBytes;
  using inmost::control::RequestFrame;
  using Outcome = RequestFrame::Outcome;

  const size_t limit = inmost::control::ControlLimits{}.max_request_bytes;  // The daemon's.
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (true) {
    RequestFrame frame = DecodeRequestFrame(input, limit);
    if (frame.outcome == Outcome::kIncomplete) {
      Check(frame.consumed == 0);
      Check(input.size() < kLengthPrefixBytes ||
            input.size() - kLengthPrefixBytes < frame.declared_size);
      return 0;
    }
    if (frame.outcome == Outcome::kTooLarge) {
      Check(frame.consumed == 0 && frame.declared_size > limit);
      return 0;  // The session answers and closes.
    }
    Check(frame.declared_size <= limit);
    Check(frame.consumed == kLengthPrefixBytes + frame.declared_size);
    Check(frame.consumed <= input.size());
    if (frame.outcome == Outcome::kRequest) {
      const std::string bytes = Deterministic(frame.request);
      inmost::control::Request again;
      Check(again.ParseFromString(bytes));
      Check(Deterministic(again) == bytes);
      // The reply path frames what it sends the same way.
      const std::string framed = inmost::control::EncodeLengthPrefixed(again);
      Check(framed.size() == kLengthPrefixBytes + again.ByteSizeLong());
      Check(inmost::control::DecodeLengthPrefix(framed.data()) == again.ByteSizeLong());
    } else {
      Check(frame.outcome == Outcome::kMalformed);
    }
    input.remove_prefix(frame.consumed);
  }
}
