// How the CLI words replies, edits, view-once and disappearing messages, and what
// `versions` and `view` print. The quoted line and the texts come from the daemon and
// may be the partner's, so they reach the terminal only through OneLine/TerminalSafe.
#include "cli/messenger_format.h"

#include "cli/text_format.h"

namespace inmost::cli {
namespace {

// What the daemon quotes for a message whose text it cannot or must not show: words
// of its own, shown in parentheses rather than as a quotation.
bool IsStandIn(const std::string& quoted) {
  return quoted == "a sealed envelope" || quoted == "a view-once message" ||
         quoted == "a message you no longer have";
}

bool IsContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xc0) == 0x80;
}

}  // namespace

std::string ShortLine(const std::string& text, size_t max_chars) {
  std::string line = OneLine(text);
  size_t chars = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (IsContinuationByte(line[i])) continue;
    if (chars == max_chars) return line.substr(0, i) + "…";
    ++chars;
  }
  return line;
}

std::string QuotedLine(const control::Message& message) {
  if (message.reply_to() == 0) return "";
  std::string line = "↪ #" + std::to_string(message.reply_to());
  const std::string& quoted = message.quoted();
  if (quoted.empty()) return line;
  if (IsStandIn(quoted)) return line + " (" + quoted + ")";
  return line + " \"" + ShortLine(quoted, kQuoteChars) + "\"";
}

bool IsViewOnce(const control::Message& message) {
  return message.view_once() != control::Message::VIEW_ONCE_NONE;
}

std::string ViewOnceDescription(const control::Message& message) {
  const bool outgoing = message.direction() == control::Message::OUTGOING;
  switch (message.view_once()) {
    case control::Message::NOT_VIEWED:
      if (outgoing) return "view once, not yet viewed";
      return "view it once with: inmost view " + std::to_string(message.id());
    case control::Message::VIEWED:
      return outgoing ? "viewed" : "viewed: gone on both sides";
    default:
      return "";
  }
}

std::string DisappearDescription(const control::Message& message, int64_t now_unix_ms) {
  if (message.disappears_at_unix_ms() != 0) {
    int64_t left = message.disappears_at_unix_ms() - now_unix_ms;
    return left > 0 ? "disappears in " + FormatCountdown(left) : "disappearing now";
  }
  if (message.disappear_after_ms() > 0) {
    return "disappears " + FormatCountdown(message.disappear_after_ms()) + " after it is read";
  }
  return "";
}

// The lines of `versions`, each "[time] text", the last marked "(current)"; the lines
// of a text after its first are indented under it.
std::string FormatVersions(uint64_t id, const control::VersionsReply& reply,
                           const char* time_format) {
  if (reply.versions_size() == 0) return "#" + std::to_string(id) + " has no text.\n";
  std::string out = reply.versions_size() == 1
                        ? "#" + std::to_string(id) + " was never edited:\n"
                        : "#" + std::to_string(id) + " has had " +
                              Count(static_cast<uint64_t>(reply.versions_size()), "version") +
                              ", oldest first:\n";
  for (int i = 0; i < reply.versions_size(); ++i) {
    const control::VersionsReply::Version& version = reply.versions(i);
    std::string prefix = "  [" + LocalTime(version.at_unix_ms(), time_format) + "] ";
    std::string indent(prefix.size(), ' ');
    out += prefix;
    for (char c : TerminalSafe(version.text())) {
      out.push_back(c);
      if (c == '\n') out += indent;
    }
    if (i + 1 == reply.versions_size() && reply.versions_size() > 1) out += "  (current)";
    out += '\n';
  }
  return out;
}

// What `view` prints: the text under a heading, then that it is gone.
std::string FormatViewed(uint64_t id, const control::ViewReply& reply) {
  std::string out = "View-once message #" + std::to_string(id);
  if (reply.message().sent_at_unix_ms() != 0) {
    out += ", sent " + LocalTime(reply.message().sent_at_unix_ms(), kDateTimeFormat);
  }
  out += ":\n\n" + TerminalSafe(reply.text()) + "\n\n";
  return out +
         "It is gone now: destroyed here, and on your partner's side as soon as their "
         "daemon hears of it. It cannot be viewed again.\n";
}

}  // namespace inmost::cli
