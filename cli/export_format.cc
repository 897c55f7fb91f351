#include "cli/export_format.h"

#include <ctime>

#include "cli/context.h"
#include "cli/file_format.h"
#include "cli/message_format.h"
#include "cli/messenger_format.h"
#include "cli/nudge_kind.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

using Envelope = control::Message::Envelope;

bool Unopened(const control::Message& message) {
  return message.kind() == control::Message::ENVELOPE &&
         message.envelope().state() != Envelope::OPENED;
}

// `message` as it may leave the store: without a body nobody has read, one that was
// forgotten, or a view-once text (the daemon never puts those in a Message; this
// makes sure).
control::Message Exportable(const control::Message& message) {
  control::Message exportable = message;
  if (Unopened(message) || IsForgotten(message) || IsViewOnce(message)) exportable.clear_text();
  return exportable;
}

// `text` that renders as itself in Markdown: no markup, no HTML, nothing that would
// start a heading or a list on one of its lines, and no terminal controls (the
// export may go to a terminal).
std::string MarkdownText(const std::string& text) {
  std::string escaped;
  bool line_start = true;
  for (char c : TerminalSafe(text)) {
    if (c == '\n') {
      escaped += "  \n";  // A hard break: the message stays one paragraph.
      line_start = true;
      continue;
    }
    bool block_marker = line_start && (c == '#' || c == '+' || c == '-' || c == '=' || c == '|');
    if (block_marker || c == '\\' || c == '`' || c == '*' || c == '_' || c == '[' || c == ']' ||
        c == '<' || c == '>' || c == '~' || c == '&') {
      escaped += '\\';
    }
    escaped += c;
    line_start = false;
  }
  return escaped;
}

// "(not opened)", "(withdrawn)": why an envelope shows no body.
std::string UnopenedReason(const Envelope& envelope) {
  switch (envelope.state()) {
    case Envelope::WITHDRAWN:
      return "(withdrawn)";
    case Envelope::MISMATCH:
      return "(not opened: it did not match what was committed)";
    default:
      return "(not opened)";
  }
}

// "📎 photo.jpg (2.4 MiB, image/jpeg) — the caption", as history shows a file.
std::string MarkdownFile(const control::Message& message) {
  std::string body = MarkdownText(FormatAttachment(message.file()));
  if (!message.text().empty()) body += " — " + MarkdownText(message.text());
  return body;
}

// The message's line after its time: what was said, or what stands for it.
std::string MarkdownContent(const control::Message& message) {
  if (IsViewOnce(message)) {
    return message.view_once() == control::Message::VIEWED ? "👁 view-once message (viewed)"
                                                           : "👁 view-once message (not viewed)";
  }
  const Envelope& envelope = message.envelope();
  std::string note =
      envelope.note().empty() ? "" : ": \"" + MarkdownText(OneLine(envelope.note())) + "\"";
  switch (message.kind()) {
    case control::Message::NUDGE:
      return "_" + NudgeLabel(message.nudge()) + "_";
    case control::Message::MOMENT:
      return kMomentText;
    case control::Message::QUESTION:
      return "❓ " + MarkdownText(message.text());
    case control::Message::FILE:
      return MarkdownFile(message);
    case control::Message::ENVELOPE:
      if (Unopened(message)) {
        return "✉ " + EnvelopeKindWords(envelope.kind()) + note + ' ' + UnopenedReason(envelope);
      }
      return (message.has_file() ? MarkdownFile(message) : MarkdownText(message.text())) + " _(✉ " +
             EnvelopeKindWords(envelope.kind()) + note + ", opened)_";
    default:
      return MarkdownText(message.text());
  }
}

// MarkdownContent() after the line it replies to, if any, on a line of its own.
std::string MarkdownBody(const control::Message& message) {
  if (IsForgotten(message)) return GoneText(message);
  std::string body = MarkdownContent(message);
  if (std::string quoted = QuotedLine(message); !quoted.empty()) {
    body = "_" + MarkdownText(quoted) + "_  \n" + body;
  }
  return body;
}

// What else a reader should know: "(urgent)", "(scheduled for ...)".
std::string MarkdownNotes(const control::Message& message) {
  std::string notes;
  auto add = [&notes](const std::string& note) { notes += (notes.empty() ? "" : ", ") + note; };
  switch (message.state()) {
    case control::Message::SCHEDULED:
      add("scheduled for " + LocalTime(message.send_at_unix_ms(), kDateTimeFormat));
      break;
    case control::Message::CANCELLED:
      add("cancelled: never sent; it was for " +
          LocalTime(message.send_at_unix_ms(), kDateTimeFormat));
      break;
    case control::Message::NOT_DELIVERED:
      add("never delivered");
      break;
    default:
      break;
  }
  if (message.urgent()) add("urgent");
  if (message.edited()) add("edited");
  if (message.disappears_at_unix_ms() != 0) {
    add("disappears " + LocalTime(message.disappears_at_unix_ms(), kDateTimeFormat));
  } else if (message.disappear_after_ms() > 0) {
    add("disappears " + FormatCountdown(message.disappear_after_ms()) + " after it is read");
  }
  return notes.empty() ? "" : " (" + notes + ")";
}

std::string MarkdownLine(const control::Message& message, const Speakers& speakers) {
  std::string speaker;
  if (message.kind() == control::Message::QUESTION && message.question().of_the_day()) {
    speaker = "**Question of the day** ";
  } else if (message.kind() != control::Message::MOMENT) {
    const std::string& you = speakers.your_name.empty() ? "You" : speakers.your_name;
    const std::string& partner = speakers.partner == "partner" ? "Partner" : speakers.partner;
    const bool outgoing = message.direction() == control::Message::OUTGOING;
    speaker = "**" + MarkdownText(outgoing ? you : partner) + "** ";
  }
  std::string line =
      speaker + LocalTime(MessageTimeUnixMs(message), "%H:%M") + " — " + MarkdownBody(message);
  if (message.pinned()) line += " 📌";
  if (std::string reactions = FormatReactions(message); !reactions.empty()) {
    line += ' ' + MarkdownText(reactions);
  }
  return line + MarkdownNotes(message);
}

std::string Markdown(const std::vector<control::Message>& messages, const ExportOptions& options) {
  std::string title = "# Our conversation";
  if (!options.speakers.your_name.empty() && options.speakers.partner != "partner") {
    title = "# " + MarkdownText(options.speakers.your_name) + " and " +
            MarkdownText(options.speakers.partner);
  }
  std::string out = title + "\n\nExported from inmost on " +
                    LocalTime(options.exported_at_unix_ms, kDateTimeFormat) + " (local time)";
  if (options.since_unix_ms != 0) {
    out += ", from " + LocalTime(options.since_unix_ms, "%Y-%m-%d") + " on";
  }
  out += ": " + Count(messages.size(), "message") + ".\n";
  std::string day;
  for (const control::Message& message : messages) {
    std::string message_day = LocalTime(MessageTimeUnixMs(message), "%Y-%m-%d");
    if (message_day != day) {
      day = message_day;
      out += "\n## " + day + "\n";
    }
    out += '\n' + MarkdownLine(message, options.speakers) + '\n';
  }
  return out;
}

// RFC 3339 in UTC: "2027-02-14T08:00:00Z".
std::string UtcTimestamp(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return "";
  char text[32];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text, n);
}

std::string Json(const std::vector<control::Message>& messages, const ExportOptions& options) {
  std::string out =
      R"({"exported_at":")" + UtcTimestamp(options.exported_at_unix_ms) + R"(","messages":[)";
  for (size_t i = 0; i < messages.size(); ++i) {
    out += (i == 0 ? "\n" : ",\n") + ToJsonLine(messages[i]);
  }
  return out + "\n]}\n";
}

}  // namespace

std::string RenderExport(const std::vector<control::Message>& messages,
                         const ExportOptions& options) {
  std::vector<control::Message> kept;
  for (const control::Message& message : messages) {
    if (MessageTimeUnixMs(message) < options.since_unix_ms) continue;
    kept.push_back(Exportable(message));
  }
  return options.format == ExportFormat::kJson ? Json(kept, options) : Markdown(kept, options);
}

}  // namespace inmost::cli
