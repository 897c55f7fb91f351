#include "daemon/wire/frame.h"

#include <algorithm>
#include <string>
#include <utility>

namespace inmost::wire {

Status AppendFrame(std::span<const uint8_t> body, Bytes& out) {
  if (body.empty()) {
    return InvalidArgument("cannot send an empty frame: a Noise message is never empty");
  }
  if (body.size() > kMaxFrameBody) {
    return ResourceExhausted("a frame body of " + std::to_string(body.size()) +
                             " bytes exceeds the maximum of " + std::to_string(kMaxFrameBody));
  }
  out.reserve(out.size() + kFrameHeaderSize + body.size());
  out.push_back(static_cast<uint8_t>(body.size() >> 8));
  out.push_back(static_cast<uint8_t>(body.size() & 0xff));
  out.insert(out.end(), body.begin(), body.end());
  return Status::Ok();
}

Result<Bytes> EncodeFrame(std::span<const uint8_t> body) {
  Bytes out;
  INMOST_RETURN_IF_ERROR(AppendFrame(body, out));
  return out;
}

void FrameDecoder::Feed(std::span<const uint8_t> bytes) {
  if (!error_.ok() || bytes.empty()) return;
  Compact();
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Bytes>> FrameDecoder::Next() {
  if (!error_.ok()) return error_;
  if (buffered() < kFrameHeaderSize) return std::optional<Bytes>();

  const uint8_t* header = buffer_.data() + consumed_;
  const size_t length = (static_cast<size_t>(header[0]) << 8) | header[1];
  if (length == 0) {
    error_ = Corruption("the peer sent an empty frame, which no valid Noise message makes");
    buffer_.clear();
    consumed_ = 0;
    return error_;
  }
  if (buffered() < kFrameHeaderSize + length) return std::optional<Bytes>();

  const auto body_begin =
      buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_ + kFrameHeaderSize);
  Bytes body(body_begin, body_begin + static_cast<std::ptrdiff_t>(length));
  consumed_ += kFrameHeaderSize + length;
  // Once everything is read, start over at the front and keep the capacity.
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return std::optional<Bytes>(std::move(body));
}

void FrameDecoder::Compact() {
  if (consumed_ == 0) return;
  // What is left is less than one frame when the caller drains Next(), so this
  // moves at most 65536 bytes and happens once per Feed().
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
  consumed_ = 0;
}

}  // namespace inmost::wire
