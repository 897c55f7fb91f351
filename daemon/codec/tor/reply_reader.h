// Splits the byte stream from Tor's control port into replies (control-spec section 2.3):
// "250-" mid lines, "250+" lines with a dot-stuffed data block, the "250 " end line, and
// asynchronous "650" events. Asio-free so it can be fuzzed. It must never buffer without
// a bound, accept a malformed line, or keep received bytes in memory it has not wiped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "daemon/crypto/secret_bytes.h"
#include "inmost/status.h"

namespace inmost::tor {

// The longest line accepted, its CRLF included. Tor's own replies stay far below it
// (the longest ordinary one is an event about a circuit, a few hundred bytes).
inline constexpr size_t kMaxReplyLineBytes = 16 * 1024;
// The most bytes and lines one reply may take, data blocks included.
inline constexpr size_t kMaxReplyBytes = 1024 * 1024;
inline constexpr size_t kMaxReplyLines = 4096;

struct ReplyLimits {
  size_t max_line_bytes = kMaxReplyLineBytes;
  size_t max_reply_bytes = kMaxReplyBytes;
  size_t max_lines = kMaxReplyLines;
};

// One line of a reply: the text after the status code and its separator, and for a
// "+" line the data block that followed it (dot-unstuffed, lines joined by '\n').
struct ReplyLine {
  std::string text;
  bool has_data = false;
  std::string data;
};

// One complete reply. Every line of a reply has the same status code (the spec says so,
// and the reader checks it).
struct ControlReply {
  int status = 0;
  std::vector<ReplyLine> lines;  // Never empty in a reply the reader returns.

  bool ok() const { return status >= 200 && status < 300; }
  // An asynchronous event (6xx), not the answer to a command.
  bool is_event() const { return status >= 600 && status < 700; }
  // The text of the end line: "OK", or why a command failed.
  const std::string& final_text() const { return lines.back().text; }
  // Overwrites every line with zeros, for replies that carried a private key.
  void Wipe();
};

// Reads replies however the bytes arrive: a byte at a time, a line split across reads,
// or several replies at once. Errors are sticky: after Next() failed it fails the same
// way forever and Feed() drops its input, since the stream is no longer trustworthy.
// Received bytes sit in wiped memory (sodium_malloc), and consumed ones are zeroed.
class ReplyReader {
 public:
  explicit ReplyReader(ReplyLimits limits = {});

  // Adds bytes received from the control connection.
  void Feed(std::span<const uint8_t> bytes);

  // The next complete reply; nullopt when more bytes are needed. ResourceExhausted for
  // a line, or a reply, over the limits; Corruption for anything that is not a reply.
  Result<std::optional<ControlReply>> Next();

  // Whether a reply has begun and is not complete: closing the connection now would
  // truncate it.
  bool mid_reply() const { return buffered() > 0 || !current_.lines.empty(); }
  size_t buffered() const { return end_ - begin_; }

 private:
  // Consumes one complete line from the buffer into `line`; false when none is there.
  Result<bool> TakeLine(std::string& line);
  // Adds one line to the current reply; true when it completed the reply.
  Result<bool> AddLine(const std::string& line);
  Status Fail(Status error);
  // Makes room for `more` bytes after end_: moves what is left to the front, or grows.
  void Reserve(size_t more);

  ReplyLimits limits_;
  crypto::SecretBytes buffer_;
  size_t begin_ = 0;  // Unread bytes are buffer_[begin_, end_).
  size_t end_ = 0;
  ControlReply current_;
  size_t current_bytes_ = 0;
  bool in_data_ = false;       // Inside the data block of current_.lines.back().
  bool data_started_ = false;  // That block has a line already.
  Status error_;
};

}  // namespace inmost::tor
