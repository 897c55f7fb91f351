// Fuzzes FrameDecoder with arbitrary streams delivered in arbitrary chunk sizes:
// it must never crash, never hold more than its documented bound, and every frame
// it returns must be a legal body that re-encodes to the bytes it came from.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "daemon/wire/frame.h"

namespace {

// Stops the run loudly: libFuzzer and the corpus replay both report an abort.
void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using inmost::wire::FrameDecoder;
  using inmost::wire::kMaxFrameBody;
  using inmost::wire::kMaxFrameSize;

  std::span<const uint8_t> input(data, size);
  FrameDecoder decoder;
  // Input layout: repeatedly, one byte giving the next chunk size (1..256), then
  // that many stream bytes (fewer at the end of the input).
  while (!input.empty()) {
    const size_t chunk = std::min<size_t>(size_t{input[0]} + 1, input.size() - 1);
    const auto bytes = input.subspan(1, chunk);
    input = input.subspan(1 + chunk);

    decoder.Feed(bytes);
    Check(decoder.buffered() <= kMaxFrameSize - 1 + bytes.size());
    while (true) {
      auto next = decoder.Next();
      if (!next.ok()) return 0;  // A zero-length frame: the stream is dead.
      if (!next->has_value()) break;
      const auto& body = **next;
      Check(!body.empty() && body.size() <= kMaxFrameBody);
      auto frame = inmost::wire::EncodeFrame(body);
      Check(frame.ok() && frame->size() == body.size() + 2);
    }
    Check(decoder.buffered() < kMaxFrameSize);
  }
  return 0;
}
