// Framing of the peer stream: each Noise message travels as a 2-byte big-endian
// length followed by that many bytes. This layer only delimits messages; it must
// never interpret, buffer without bound, or accept an empty or oversized frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "daemon/crypto/bytes.h"
#include "inmost/status.h"

namespace inmost::wire {

// Frames carry public bytes (Noise ciphertext), so plain byte vectors suffice.
using crypto::Bytes;

// The largest frame body: a Noise message is at most 65535 bytes, which is also
// all a 2-byte length can say.
inline constexpr size_t kMaxFrameBody = 65535;
// Bytes of the length prefix in front of every body.
inline constexpr size_t kFrameHeaderSize = 2;
// The most bytes a single frame occupies on the wire.
inline constexpr size_t kMaxFrameSize = kFrameHeaderSize + kMaxFrameBody;

// Appends the frame carrying `body` to `out`. Fails with ResourceExhausted when
// `body` is larger than kMaxFrameBody and with InvalidArgument when it is empty
// (a Noise message is never empty, so an empty frame is a protocol error); `out`
// is unchanged on failure. Lets a sender batch several frames into one write.
Status AppendFrame(std::span<const uint8_t> body, Bytes& out);

// The frame carrying `body`, with the same errors as AppendFrame.
Result<Bytes> EncodeFrame(std::span<const uint8_t> body);

// Splits a byte stream back into frame bodies, however the bytes arrive: one at a
// time, a frame split across reads, or many frames in one read.
//
// Memory bound: as long as the caller drains Next() until it yields no frame
// before each Feed(), buffered() never exceeds kMaxFrameSize - 1 plus the size of
// the last Feed() (the unfinished frame plus the new bytes), so a caller that reads
// at most N bytes at a time holds at most 65536 + N bytes here.
//
// A zero length is a protocol error. Errors are sticky: after Next() has failed,
// it returns the same error forever and Feed() discards its input, because the
// stream can no longer be trusted to be aligned on frame boundaries.
class FrameDecoder {
 public:
  FrameDecoder() = default;

  // Adds bytes received from the stream.
  void Feed(std::span<const uint8_t> bytes);

  // The next complete frame body; nullopt when more bytes are needed (a stream
  // that stops mid-frame is not an error here: the caller decides when the
  // connection is closed); Corruption for a zero-length frame.
  Result<std::optional<Bytes>> Next();

  // Bytes received but not yet returned as frames.
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  // Drops the bytes already returned, so the buffer holds only unread ones.
  void Compact();

  Bytes buffer_;
  size_t consumed_ = 0;  // Leading bytes of buffer_ already returned by Next().
  Status error_;         // Sticky once not ok.
};

}  // namespace inmost::wire
