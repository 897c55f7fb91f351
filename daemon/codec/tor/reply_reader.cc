#include "daemon/codec/tor/reply_reader.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

namespace inmost::tor {

namespace {

// Bytes of a status code and the separator after it: "250-".
constexpr size_t kStatusPrefix = 4;
// The first allocation of the receive buffer; it grows only for larger reads.
constexpr size_t kInitialBuffer = 8 * 1024;
// The line that ends a data block.
constexpr std::string_view kDataEnd = ".";

void WipeString(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

// Text may hold tabs and any byte from space up, DEL and control characters excepted
// (a CR inside a line, a NUL). Bytes of 0x80 and more pass: Tor relays UTF-8 it was sent.
bool IsText(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
  });
}

Status NotAReply(const std::string& why) {
  return Corruption("tor's control port sent something that is not a control-protocol reply: " +
                    why);
}

}  // namespace

void ControlReply::Wipe() {
  for (ReplyLine& line : lines) {
    WipeString(line.text);
    WipeString(line.data);
  }
}

ReplyReader::ReplyReader(ReplyLimits limits) : limits_(limits) {}

void ReplyReader::Feed(std::span<const uint8_t> bytes) {
  if (!error_.ok() || bytes.empty()) return;
  Reserve(bytes.size());
  std::memcpy(buffer_.data() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

Result<std::optional<ControlReply>> ReplyReader::Next() {
  if (!error_.ok()) return error_;
  std::string line;
  for (;;) {
    auto taken = TakeLine(line);
    if (!taken.ok()) return Fail(taken.status());
    if (!*taken) return std::optional<ControlReply>();
    auto complete = AddLine(line);
    WipeString(line);
    if (!complete.ok()) return Fail(complete.status());
    if (*complete) {
      ControlReply reply = std::move(current_);
      current_ = ControlReply();
      current_bytes_ = 0;
      return std::optional<ControlReply>(std::move(reply));
    }
  }
}

Result<bool> ReplyReader::TakeLine(std::string& line) {
  if (buffered() == 0) return false;
  const uint8_t* start = buffer_.data() + begin_;
  const auto* newline = static_cast<const uint8_t*>(std::memchr(start, '\n', buffered()));
  if (newline == nullptr) {
    if (buffered() >= limits_.max_line_bytes) {
      return ResourceExhausted("tor's control port sent a line longer than " +
                               std::to_string(limits_.max_line_bytes) + " bytes");
    }
    return false;
  }
  const size_t length = static_cast<size_t>(newline - start) + 1;  // With the LF.
  if (length > limits_.max_line_bytes) {
    return ResourceExhausted("tor's control port sent a line of " + std::to_string(length) +
                             " bytes, longer than the limit of " +
                             std::to_string(limits_.max_line_bytes));
  }
  current_bytes_ += length;
  if (current_bytes_ > limits_.max_reply_bytes) {
    return ResourceExhausted("a reply from tor's control port is longer than " +
                             std::to_string(limits_.max_reply_bytes) + " bytes");
  }
  size_t text_length = length - 1;
  if (text_length > 0 && start[text_length - 1] == '\r') --text_length;
  line.assign(reinterpret_cast<const char*>(start), text_length);
  sodium_memzero(buffer_.data() + begin_, length);
  begin_ += length;
  if (begin_ == end_) begin_ = end_ = 0;
  return true;
}

Result<bool> ReplyReader::AddLine(const std::string& line) {
  if (in_data_) {
    if (line == kDataEnd) {
      in_data_ = false;
      return false;
    }
    // Dot-stuffing: a data line that begins with '.' was sent with one more in front.
    const std::string_view content =
        !line.empty() && line[0] == '.' ? std::string_view(line).substr(1) : line;
    if (!IsText(content)) return NotAReply("a control character in a data block");
    ReplyLine& block = current_.lines.back();
    if (data_started_) block.data += '\n';
    data_started_ = true;
    block.data += content;
    return false;
  }
  if (line.size() < kStatusPrefix) {
    return NotAReply("a line of " + std::to_string(line.size()) +
                     " bytes, too short for a status code and a separator");
  }
  int status = 0;
  for (size_t i = 0; i < 3; ++i) {
    if (line[i] < '0' || line[i] > '9') return NotAReply("a line without a 3-digit status code");
    status = status * 10 + (line[i] - '0');
  }
  const char separator = line[3];
  if (separator != '-' && separator != '+' && separator != ' ') {
    return NotAReply("a status code followed by neither '-', '+' nor a space");
  }
  const std::string_view text = std::string_view(line).substr(kStatusPrefix);
  if (!IsText(text)) return NotAReply("a control character in a reply line");
  if (current_.lines.empty()) {
    current_.status = status;
  } else if (status != current_.status) {
    return NotAReply("a reply whose lines have different status codes (" +
                     std::to_string(current_.status) + " and " + std::to_string(status) + ")");
  }
  if (current_.lines.size() >= limits_.max_lines) {
    return ResourceExhausted("a reply from tor's control port has more than " +
                             std::to_string(limits_.max_lines) + " lines");
  }
  ReplyLine& added = current_.lines.emplace_back();
  added.text.assign(text);
  if (separator == '+') {
    added.has_data = true;
    in_data_ = true;
    data_started_ = false;
  }
  return separator == ' ';
}

Status ReplyReader::Fail(Status error) {
  error_ = std::move(error);
  if (!buffer_.empty()) sodium_memzero(buffer_.data(), buffer_.size());
  begin_ = end_ = 0;
  current_.Wipe();
  current_ = ControlReply();
  in_data_ = false;
  return error_;
}

void ReplyReader::Reserve(size_t more) {
  if (end_ + more <= buffer_.size()) return;
  const size_t unread = buffered();
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, unread);
    sodium_memzero(buffer_.data() + unread, end_ - unread);
    begin_ = 0;
    end_ = unread;
    if (end_ + more <= buffer_.size()) return;
  }
  crypto::SecretBytes bigger(std::max({kInitialBuffer, 2 * buffer_.size(), unread + more}));
  if (unread > 0) std::memcpy(bigger.data(), buffer_.data(), unread);
  buffer_ = std::move(bigger);  // The old buffer is wiped as it is freed.
}

}  // namespace inmost::tor
