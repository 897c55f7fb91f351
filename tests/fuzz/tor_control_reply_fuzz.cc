// Fuzzes what Tor's control port sends (daemon/tor/reply_reader.h and the field parsers
// of reply_fields.h and control_text.h): the stream is read once whole and once in
// pieces (their size from the first byte), which must give the same replies or the same
// error; every reply then goes through each command's parser. Nothing may crash, a
// reply must respect the limits, and quoting must round-trip every line's text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "daemon/codec/tor/control_text.h"
#include "daemon/codec/tor/onion_key.h"
#include "daemon/codec/tor/reply_fields.h"
#include "daemon/codec/tor/reply_reader.h"

namespace {

using inmost::tor::ControlReply;

// Small limits, so the fuzzer reaches them with small inputs.
constexpr size_t kLineLimit = 256;
constexpr size_t kReplyLimit = 2048;
constexpr size_t kLinesLimit = 32;
constexpr size_t kMaxPiece = 16;

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Outcome {
  std::vector<ControlReply> replies;
  inmost::Status error;
};

Outcome Read(std::span<const uint8_t> input, size_t piece) {
  inmost::tor::ReplyReader reader({kLineLimit, kReplyLimit, kLinesLimit});
  Outcome out;
  for (size_t at = 0; at < input.size(); at += piece) {
    reader.Feed(input.subspan(at, std::min(piece, input.size() - at)));
    for (;;) {
      auto next = reader.Next();
      if (!next.ok()) {
        out.error = next.status();
        Check(!out.error.message().empty());
        auto again = reader.Next();  // Sticky.
        Check(!again.ok() && again.status().message() == out.error.message());
        return out;
      }
      if (!next->has_value()) break;
      out.replies.push_back(std::move(**next));
    }
  }
  return out;
}

bool Same(const ControlReply& a, const ControlReply& b) {
  if (a.status != b.status || a.lines.size() != b.lines.size()) return false;
  for (size_t i = 0; i < a.lines.size(); ++i) {
    if (a.lines[i].text != b.lines[i].text || a.lines[i].has_data != b.lines[i].has_data ||
        a.lines[i].data != b.lines[i].data) {
      return false;
    }
  }
  return true;
}

void Exercise(const ControlReply& reply) {
  using namespace inmost::tor;
  Check(!reply.lines.empty() && reply.lines.size() <= kLinesLimit);
  Check(reply.status >= 0 && reply.status <= 999);
  for (const ReplyLine& line : reply.lines) {
    Check(line.text.size() < kLineLimit);
    Check(line.has_data || line.data.empty());
    auto quoted = Unquote(Quote(line.text));
    Check(quoted.ok() && *quoted == line.text);
    (void)SplitFields(line.text);
    (void)Unquote(line.text);
  }
  const inmost::Status status = ReplyStatus("FUZZ", reply);
  Check(status.ok() == reply.ok());
  (void)ParseProtocolInfo(reply);
  (void)ParseAuthChallenge(reply);
  (void)ParseGetInfo(reply, {"version"});
  auto service = ParseAddOnion(reply);
  if (service.ok()) Check(IsServiceId(service->service_id));
  auto phase = ParseBootstrapPhase(reply.lines.front().text);
  if (phase.ok()) Check(phase->progress >= 0 && phase->progress <= 100);
  (void)ParseHsDescEvent(reply);
  (void)EventName(reply);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  const size_t piece = size == 0 ? 1 : 1 + data[0] % kMaxPiece;
  Outcome whole = Read(input, size == 0 ? 1 : size);
  Outcome pieces = Read(input, piece);
  // A line's length limit may stop the piecewise read a little earlier (it sees an
  // unfinished long line before its end), so compare what both read before an error.
  const size_t common = std::min(whole.replies.size(), pieces.replies.size());
  for (size_t i = 0; i < common; ++i) Check(Same(whole.replies[i], pieces.replies[i]));
  if (whole.error.ok() && pieces.error.ok()) Check(whole.replies.size() == pieces.replies.size());
  Check(whole.error.ok() == pieces.error.ok());
  for (const ControlReply& reply : whole.replies) Exercise(reply);
  return 0;
}
