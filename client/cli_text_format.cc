#include "client/cli_text_format.h"

#include <ctime>

namespace inmost::cli {

std::string TerminalSafe(std::string_view text) {
  std::string safe;
  safe.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
      safe.push_back('?');
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      safe.push_back('?');  // U+0080..U+009F, the C1 controls (CSI among them).
      ++i;
    } else {
      safe.push_back(static_cast<char>(c));
    }
  }
  return safe;
}

std::string LocalTime(int64_t unix_ms, const char* format) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return "?";
  char text[64];
  size_t n = std::strftime(text, sizeof text, format, &local);
  return std::string(text, n);
}

std::vector<std::string> SafetyNumberLines(std::string_view safety_number) {
  std::string digits;
  for (char c : safety_number) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ') {
      return {std::string(safety_number)};
    }
  }
  constexpr size_t kDigits = 60, kGroup = 5, kGroupsPerLine = 4;
  if (digits.size() != kDigits) return {std::string(safety_number)};
  std::vector<std::string> lines;
  for (size_t line = 0; line < kDigits; line += kGroup * kGroupsPerLine) {
    std::string text;
    for (size_t group = 0; group < kGroupsPerLine; ++group) {
      if (group > 0) text.push_back(' ');
      text += digits.substr(line + group * kGroup, kGroup);
    }
    lines.push_back(text);
  }
  return lines;
}

std::string FormatMessage(const control::Message& message, const char* time_format) {
  bool outgoing = message.direction() == control::Message::OUTGOING;
  int64_t at_ms = outgoing || message.received_at_unix_ms() == 0 ? message.sent_at_unix_ms()
                                                                 : message.received_at_unix_ms();
  std::string prefix = "[" + LocalTime(at_ms, time_format) + "] ";
  prefix += outgoing ? "you: " : "partner: ";
  std::string text = TerminalSafe(message.text());
  std::string indent(prefix.size(), ' ');
  std::string out = prefix;
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out += indent;
  }
  switch (message.state()) {
    case control::Message::PENDING:
      out += "  (#" + std::to_string(message.id()) + " pending)";
      break;
    case control::Message::DELIVERED:
      out += outgoing ? "  (#" + std::to_string(message.id()) + " delivered)" : "  (new)";
      break;
    case control::Message::READ:
      if (outgoing) out += "  (#" + std::to_string(message.id()) + " read)";
      break;
    case control::Message::NOT_DELIVERED:
      out += "  (#" + std::to_string(message.id()) + " never delivered: sent to a former partner)";
      break;
    default:
      break;
  }
  return out;
}

std::string FormatChatEvent(const control::Event& event) {
  switch (event.kind_case()) {
    case control::Event::kDelivered:
      return "  [#" + std::to_string(event.delivered().id()) + " delivered]";
    case control::Event::kRead:
      return "  [read up to #" + std::to_string(event.read().up_to_id()) + "]";
    case control::Event::kLinkUp:
      return "-- link up" + (event.link_up().address().empty()
                                 ? std::string()
                                 : " (" + TerminalSafe(event.link_up().address()) + ")");
    case control::Event::kLinkDown:
      return "-- link down" + (event.link_down().reason().empty()
                                   ? std::string()
                                   : " (" + TerminalSafe(event.link_down().reason()) + ")");
    case control::Event::kPaired:
      return "-- paired with " + TerminalSafe(event.paired().partner_fingerprint());
    default:
      return "";
  }
}

}  // namespace inmost::cli
