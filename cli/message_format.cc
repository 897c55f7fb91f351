// How the CLI shows the daemon's messages and chat events to a person. Text from
// the partner passes through TerminalSafe or OneLine: it never reaches the
// terminal with its control characters intact.
#include "cli/message_format.h"

#include "cli/file_format.h"
#include "cli/messenger_format.h"
#include "cli/nudge_kind.h"
#include "cli/presence_view.h"
#include "cli/text_format.h"

namespace inmost::cli {

int64_t MessageTimeUnixMs(const control::Message& message) {
  bool outgoing = message.direction() == control::Message::OUTGOING;
  int64_t at_ms = outgoing || message.received_at_unix_ms() == 0 ? message.sent_at_unix_ms()
                                                                 : message.received_at_unix_ms();
  if (at_ms != 0) return at_ms;
  // A cancelled message never left: it shows when it was written (where the store
  // recorded that). A scheduled one shows when it is to leave.
  if (message.state() == control::Message::CANCELLED && message.written_at_unix_ms() != 0) {
    return message.written_at_unix_ms();
  }
  return message.send_at_unix_ms();
}

std::string FormatReactions(const control::Message& message) {
  std::string mine = OneLine(message.my_reaction());
  std::string theirs = OneLine(message.their_reaction());
  if (mine.empty() && theirs.empty()) return "";
  if (theirs.empty()) return "[you: " + mine + "]";
  if (mine.empty()) return "[them: " + theirs + "]";
  return "[you: " + mine + " · them: " + theirs + "]";
}

std::string EnvelopeKindWords(control::Message::Envelope::Kind kind) {
  switch (kind) {
    case control::Message::Envelope::SEALED:
      return "sealed message";
    case control::Message::Envelope::GENTLE:
      return "gentle message";
    case control::Message::Envelope::TOGETHER:
      return "together message";
    case control::Message::Envelope::ANSWER:
      return "sealed answer";
    default:
      return "envelope";
  }
}

bool IsForgotten(const control::Message& message) {
  switch (message.forget()) {
    case control::Message::FORGOTTEN:
    case control::Message::ASKED:
    case control::Message::FORGOTTEN_BOTH:
    case control::Message::PARTNER_KEPT:
    case control::Message::DISAPPEARED:
      return true;
    default:
      return false;
  }
}

const char* GoneText(const control::Message& message) {
  return message.forget() == control::Message::DISAPPEARED ? kDisappearedText : kForgottenText;
}

std::string ForgetDescription(const control::Message& message) {
  const std::string forget = "inmost forget " + std::to_string(message.id());
  switch (message.forget()) {
    case control::Message::FORGOTTEN:
      return "forgotten here";
    case control::Message::ASKED:
      return "forgotten here; your partner is asked to forget it too";
    case control::Message::FORGOTTEN_BOTH:
      return "forgotten on both sides";
    case control::Message::PARTNER_KEPT:
      return "forgotten here; your partner chose to keep theirs";
    case control::Message::PARTNER_ASKS:
      return "your partner asks you to forget it: " + forget + ", or to keep it: " + forget +
             " --keep";
    case control::Message::KEPT:
      return "kept: your partner asked you to forget it";
    case control::Message::DISAPPEARED:
      return "disappeared: deleted here as set";
    default:
      return "";
  }
}

namespace {

using Envelope = control::Message::Envelope;
using Question = control::Message::Question;

std::string Id(uint64_t id) {
  return "#" + std::to_string(id);
}

// `head` followed by the envelope's note, if any, then `rest`:
// gentle: "about my father" — open with: inmost open 12
std::string WithNote(const std::string& head, const Envelope& envelope, const std::string& rest) {
  std::string text = head;
  if (!envelope.note().empty()) text += ": \"" + OneLine(envelope.note()) + "\"";
  if (!rest.empty()) text += " — " + rest;
  return text;
}

// "sealed", "gentle", "your answer to #10" ...
std::string EnvelopeHead(const Envelope& envelope, bool outgoing) {
  switch (envelope.kind()) {
    case Envelope::SEALED:
      return "sealed";
    case Envelope::GENTLE:
      return "gentle";
    case Envelope::TOGETHER:
      return "together";
    case Envelope::ANSWER:
      return (outgoing ? "your answer to " : "their answer to ") + Id(envelope.question_id());
    default:
      return "envelope";
  }
}

// What stands in for a body that is not readable (yet).
std::string EnvelopePlaceholder(const Envelope& envelope) {
  switch (envelope.state()) {
    case Envelope::WITHDRAWN:
      return "[withdrawn]";
    case Envelope::MISMATCH:
      return "[not opened]";
    default:
      break;
  }
  return "[" + EnvelopeKindWords(envelope.kind()) + "]";
}

// An envelope still withheld: what it waits for, and what to do about it.
std::string WithheldDescription(const control::Message& message, int64_t now_unix_ms) {
  const Envelope& envelope = message.envelope();
  bool outgoing = message.direction() == control::Message::OUTGOING;
  std::string head = EnvelopeHead(envelope, outgoing);
  switch (envelope.kind()) {
    case Envelope::SEALED: {
      std::string when = "until " + LocalTime(envelope.open_at_unix_ms(), kDateTimeFormat) + ", ";
      int64_t left = envelope.open_at_unix_ms() - now_unix_ms;
      if (left > 0) {
        when += "opens in " + FormatCountdown(left);
      } else {
        when += outgoing ? "opens as soon as your partner is reachable"
                         : "opens as soon as the key arrives";
      }
      if (envelope.note().empty()) return head + ' ' + when;
      return WithNote(head, envelope, when);
    }
    case Envelope::GENTLE:
      if (outgoing) {
        return WithNote(head, envelope,
                        envelope.open_requested() ? "your partner asked to open it"
                                                  : "waiting for your partner to open it");
      }
      return WithNote(head, envelope,
                      envelope.open_requested()
                          ? "opening: the key was asked for"
                          : "open with: inmost open " + std::to_string(message.id()));
    case Envelope::TOGETHER:
      return WithNote(head, envelope,
                      // "Chat open", not "here"/"away": those name a presence choice.
                      std::string("opens while you both have a chat open; your partner ") +
                          (envelope.partner_present() ? "has one open" : "has none open"));
    case Envelope::ANSWER:
      if (outgoing) return WithNote(head, envelope, "waiting for theirs");
      return WithNote(head, envelope,
                      "waiting for your answer: inmost answer " +
                          std::to_string(envelope.question_id()) + " TEXT");
    default:
      return WithNote(head, envelope, "withheld");
  }
}

std::string EnvelopeDescription(const control::Message& message, const char* time_format,
                                int64_t now_unix_ms) {
  const Envelope& envelope = message.envelope();
  bool outgoing = message.direction() == control::Message::OUTGOING;
  std::string head = EnvelopeHead(envelope, outgoing);
  switch (envelope.state()) {
    case Envelope::WITHHELD:
      return WithheldDescription(message, now_unix_ms);
    case Envelope::RELEASED:
      return WithNote(
          head, envelope,
          outgoing ? "key released, opening on your partner's side" : "key released, opening");
    case Envelope::OPENED: {
      std::string opened = WithNote(head, envelope, "") + ", opened";
      if (envelope.opened_at_unix_ms() != 0) {
        opened += ' ' + LocalTime(envelope.opened_at_unix_ms(), time_format);
      }
      return opened;
    }
    case Envelope::WITHDRAWN:
      return WithNote(head, envelope, "") +
             (outgoing ? ", withdrawn" : ", withdrawn by your partner");
    case Envelope::MISMATCH:
      return WithNote(head, envelope, "") +
             ": does not match what was committed: it may have been altered";
    default:
      return WithNote(head, envelope, "");
  }
}

std::string QuestionDescription(const control::Message& message) {
  const Question& question = message.question();
  std::string head = "question";
  if (question.of_the_day()) {  // The line starts with "question of the day: ".
    head = question.date().empty() ? "of the day" : "of " + TerminalSafe(question.date());
  }
  std::string answer_with = "inmost answer " + std::to_string(message.id()) + " TEXT";
  switch (question.state()) {
    case Question::WAITING_FOR_YOU:
      return head + " — your partner answered; waiting for your answer: " + answer_with;
    case Question::WAITING_FOR_THEM:
      return head + " — you answered (" + Id(question.my_answer_id()) + "); waiting for theirs";
    case Question::REVEALED:
      return head + " — both answered: yours " + Id(question.my_answer_id()) + ", theirs " +
             Id(question.their_answer_id());
    default:
      return head + " — not answered yet: " + answer_with;
  }
}

// The delivery state of an envelope or question, after its own description.
std::string DeliverySuffix(const control::Message& message) {
  bool outgoing = message.direction() == control::Message::OUTGOING;
  switch (message.state()) {
    case control::Message::PENDING:
      return outgoing ? ", not yet delivered" : "";
    case control::Message::DELIVERED:
      return outgoing ? "" : ", new";
    case control::Message::NOT_DELIVERED:
      return ", never delivered: sent to a former partner";
    default:
      return "";
  }
}

// The message's id and delivery state, or for an envelope, question or scheduled
// message its own state.
std::string StateDescription(const control::Message& message, const char* time_format,
                             int64_t now_unix_ms) {
  bool outgoing = message.direction() == control::Message::OUTGOING;
  std::string id = Id(message.id());
  switch (message.state()) {
    case control::Message::SCHEDULED: {
      std::string text =
          id + " scheduled for " + LocalTime(message.send_at_unix_ms(), kDateTimeFormat);
      int64_t left = message.send_at_unix_ms() - now_unix_ms;
      text += left > 0 ? " (in " + FormatCountdown(left) + ")" : " (leaving now)";
      return text + ", cancel with: inmost cancel " + std::to_string(message.id());
    }
    case control::Message::CANCELLED:
      return id + " cancelled: never sent; it was for " +
             LocalTime(message.send_at_unix_ms(), kDateTimeFormat);
    default:
      break;
  }
  switch (message.kind()) {
    case control::Message::ENVELOPE:
      return id + ' ' + EnvelopeDescription(message, time_format, now_unix_ms) +
             DeliverySuffix(message);
    case control::Message::QUESTION:
      return id + ' ' + QuestionDescription(message) + DeliverySuffix(message);
    default:
      break;
  }
  switch (message.state()) {
    case control::Message::PENDING:
      return id + " pending";
    case control::Message::DELIVERED:
      return id + (outgoing ? " delivered" : " new");
    case control::Message::READ:
      return outgoing ? id + " read" : id;
    case control::Message::NOT_DELIVERED:
      return id + " never delivered: sent to a former partner";
    default:
      return id;  // Always shown: react, pin and forget need it.
  }
}

// The "(...)" after the text: the message's id and state, then what else is true
// of it (over the nudge budget, urgent, a forget asked for).
std::string MessageStatus(const control::Message& message, const char* time_format,
                          int64_t now_unix_ms) {
  // Whatever the message was, nothing of it is left to describe.
  if (IsForgotten(message)) return Id(message.id()) + ' ' + ForgetDescription(message);
  if (message.kind() == control::Message::NOTICE) return Id(message.id());
  std::string status = StateDescription(message, time_format, now_unix_ms);
  if (message.recovered()) status += ", recovered from your partner's copy";
  if (message.kind() == control::Message::NUDGE && message.nudge().over_budget()) {
    status += ", over your nudge budget: not announced";
  }
  if (message.urgent()) status += ", urgent";
  if (std::string view_once = ViewOnceDescription(message); !view_once.empty()) {
    status += ", " + view_once;
  }
  if (std::string disappear = DisappearDescription(message, now_unix_ms); !disappear.empty()) {
    status += ", " + disappear;
  }
  if (message.direction() == control::Message::INCOMING && message.has_file() &&
      message.file().state() == control::Attachment::RECEIVED && !message.file().name().empty()) {
    status += ", save with: inmost save " + std::to_string(message.id());
  }
  if (std::string forget = ForgetDescription(message); !forget.empty()) status += ", " + forget;
  return status;
}

// Who the line says spoke: "you: ", "partner: ", "question of the day: ", or
// nobody for a moment, which the two of you made.
std::string Speaker(const control::Message& message, const Speakers& speakers) {
  if (message.kind() == control::Message::MOMENT) return "";
  if (message.kind() == control::Message::NOTICE) return "inmost: ";  // Not a message.
  if (message.kind() == control::Message::QUESTION && message.question().of_the_day()) {
    return "question of the day: ";  // Neither of you asked it.
  }
  // The partner's name came from their daemon: shown only as safe text.
  return message.direction() == control::Message::OUTGOING ? speakers.you + ": "
                                                           : OneLine(speakers.partner) + ": ";
}

// A file and its caption: "📎 photo.jpg (2.4 MiB, image/jpeg) — the caption".
std::string WithCaption(const control::Message& message) {
  std::string body = FormatAttachment(message.file());
  if (!message.text().empty()) body += " — " + TerminalSafe(message.text());
  return body;
}

// The text to show, or what stands in for it.
std::string Content(const control::Message& message) {
  if (IsViewOnce(message)) return kViewOnceText;  // Its text is only in `view`'s reply.
  switch (message.kind()) {
    case control::Message::NUDGE:
      return NudgeLabel(message.nudge());
    case control::Message::MOMENT:
      return kMomentText;
    case control::Message::ENVELOPE:
      if (message.has_file()) {
        // A sealed file: its name (and caption) arrive with the key.
        if (message.file().name().empty() && message.text().empty()) {
          return EnvelopePlaceholder(message.envelope()) + ' ' + FormatAttachment(message.file());
        }
        return WithCaption(message);
      }
      if (message.text().empty()) return EnvelopePlaceholder(message.envelope());
      break;
    case control::Message::FILE:
      return WithCaption(message);
    default:
      break;
  }
  return TerminalSafe(message.text());
}

// Content() under the line it replies to, if any, and marked when it was edited.
std::string Body(const control::Message& message) {
  if (IsForgotten(message)) return GoneText(message);
  std::string body = Content(message);
  if (message.edited()) body += " (edited)";
  if (std::string quoted = QuotedLine(message); !quoted.empty()) body = quoted + '\n' + body;
  return body;
}

std::string QuietSummaryLine(const control::QuietSummary& summary) {
  std::string line = "Quiet ended: " + Count(summary.messages(), "message") + ", " +
                     Count(summary.nudges(), "nudge") + ", " +
                     Count(summary.envelopes(), "envelope") + " arrived";
  if (summary.first_id() != 0) line += " (the first is " + Id(summary.first_id()) + ")";
  return line + '.';
}

}  // namespace

std::string FormatMessage(const control::Message& message, const char* time_format,
                          int64_t now_unix_ms, const Speakers& speakers) {
  std::string prefix =
      "[" + LocalTime(MessageTimeUnixMs(message), time_format) + "] " + Speaker(message, speakers);
  std::string indent(prefix.size(), ' ');
  std::string out = prefix;
  for (char c : Body(message)) {
    out.push_back(c);
    if (c == '\n') out += indent;
  }
  if (message.pinned()) out += " 📌";
  if (std::string reactions = FormatReactions(message); !reactions.empty()) {
    out += ' ' + reactions;
  }
  return out + "  (" + MessageStatus(message, time_format, now_unix_ms) + ")";
}

std::string FormatMessage(const control::Message& message, const char* time_format,
                          const Speakers& speakers) {
  return FormatMessage(message, time_format, NowUnixMs(), speakers);
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
    case control::Event::kChanged:
      // The change may be to a message from days ago: show its date too.
      return "-- changed: " + FormatMessage(event.changed().message(), kDateTimeFormat);
    case control::Event::kPartnerPresence:
      return event.partner_presence().present() ? "-- your partner is here"
                                                : "-- your partner has left";
    case control::Event::kSameMoment:
      return "-- " + std::string(kMomentText) + " (" + Id(event.same_moment().message().id()) + ")";
    case control::Event::kQuietSummary:
      return "-- " + QuietSummaryLine(event.quiet_summary());
    case control::Event::kPartnerChanged:
      return "-- your partner shows: " + PartnerViewSummary(event.partner_changed().partner());
    case control::Event::kTransfer:
      return FormatTransferDone(event.transfer());
    default:
      return "";
  }
}

}  // namespace inmost::cli