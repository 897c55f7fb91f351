// What `inmost chat` shows: the history, each event, and the status line. Every
// message goes through the transcript, so whatever way it comes (an event, the
// history re-read after a reconnection, a catch-up after a send) it shows once, and
// a change shows once however often the daemon announces it.
#include <ostream>

#include "cli/chat_lines.h"
#include "cli/chat_session.h"
#include "cli/file_format.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

// How many of the newest entries are re-read when a quiet ends: what it held.
constexpr uint32_t kQuietCatchUp = 200;
// ... and when an event names a message not shown yet (sent by another client).
constexpr uint32_t kUnknownCatchUp = 20;

// An envelope on its way to opening: the key asked for or released. Its line shows
// that in place (the /open that asked says so too), but the change worth a line of
// its own is the opening just after.
bool OnItsWayToOpen(const control::Message& message) {
  if (message.kind() != control::Message::ENVELOPE) return false;
  const control::Message::Envelope& envelope = message.envelope();
  return envelope.state() == control::Message::Envelope::RELEASED ||
         (envelope.state() == control::Message::Envelope::WITHHELD && envelope.open_requested());
}

}  // namespace

void ChatSession::Begin() {
  RefreshStatus();  // First: whether quiet holds messages back.
  CatchUp(options_.history_limit);
  LoadDraft();
  if (status_.link_up) {
    // --together messages wait for both of you: say whether your partner is here.
    Notice(status_.partner_present ? "your partner is here" : "your partner is away");
  }
  if (options_.interactive) {
    Notice("type a message and press Enter to send it; /help lists the commands; Ctrl-D quits");
  }
}

void ChatSession::Show(const std::string& line) {
  view_.AddLine(line);
}

void ChatSession::Notice(const std::string& text) {
  Show(json_ ? JsonNoticeLine(text) : "-- " + text);
}

void ChatSession::ShowMessage(const control::Message& message) {
  ChatTranscript::Seen seen = transcript_.Record(message);
  if (seen == ChatTranscript::Seen::kSame) return;
  if (message.direction() == control::Message::INCOMING && seen == ChatTranscript::Seen::kNew) {
    unread_shown_ = message.id();
  }
  if (json_) {
    Show(JsonMessageLine(message));
    return;
  }
  if (seen == ChatTranscript::Seen::kChanged) {
    view_.UpdateLine(message.id(), ChatMessageLine(message, status_.speakers));
    if (OnItsWayToOpen(message)) return;
    // The change may be to a message from days ago: the line has its date then.
    Show("-- changed: " + ChatMessageLine(message, status_.speakers));
    return;
  }
  if (message.kind() != control::Message::NUDGE) {
    transcript_.EndNudgeRun();
    view_.AddLine(ChatMessageLine(message, status_.speakers), message.id(), false);
    return;
  }
  // Nudges in a row are one line that counts them: "(kiss ×9)".
  if (auto run = transcript_.JoinNudgeRun(message)) {
    if (view_.UpdateLine(run->line_id, NudgeRunLine(message, run->count, status_.speakers))) return;
  }
  transcript_.StartNudgeRun(message);
  view_.AddLine(ChatMessageLine(message, status_.speakers), message.id(), true);
}

void ChatSession::CatchUp(uint32_t limit) {
  control::Request request;
  request.mutable_history()->set_limit(limit);
  control::Response reply;
  if (!Request(request, &reply) || reply.has_error()) return;
  for (const control::Message& message : reply.history().messages()) {
    // Quiet holds back what your partner sends (urgent aside) until its summary: a
    // catch-up must not show it early.
    if (status_.quiet && message.direction() == control::Message::INCOMING && !message.urgent() &&
        transcript_.Find(message.id()) == nullptr) {
      continue;
    }
    ShowMessage(message);
  }
}

void ChatSession::OnEvent(const control::Event& event) {
  if (json_) {
    OnEventAsJson(event);
    return;
  }
  switch (event.kind_case()) {
    case control::Event::kPartnerTyping:
      OnPartnerTyping(event.partner_typing());
      return;
    case control::Event::kDraft:
      OnDraftChanged(event.draft());
      return;
    case control::Event::kMessageReceived: {
      // What they were writing has come: "writing…" ends.
      if (status_.partner_writing_until_unix_ms != 0) OnPartnerTyping({});
      control::Message shown = event.message_received().message();
      shown.clear_state();  // "(new)" says nothing while chatting.
      ShowMessage(shown);
      return;
    }
    case control::Event::kSameMoment:
      // The moment is a history entry too: whichever way it came first, show it once.
      ShowMessage(event.same_moment().message());
      return;
    case control::Event::kChanged:
      ShowMessage(event.changed().message());
      RefreshStatus();  // The next envelope to open may be another now.
      return;
    case control::Event::kDelivered:
      OnDelivered(event.delivered().id());
      return;
    case control::Event::kRead:
      OnRead(event.read().up_to_id());
      return;
    case control::Event::kTransfer: {
      // A file's end is worth one line, however often the daemon repeats it.
      const control::TransferProgress& transfer = event.transfer();
      if (IsMoving(transfer.file())) return;
      if (!finished_transfers_.emplace(transfer.id(), transfer.file().state()).second) return;
      break;
    }
    default:
      break;
  }
  std::string line = FormatChatEvent(event);
  if (!line.empty()) Show(line);
  switch (event.kind_case()) {
    case control::Event::kQuietSummary:
      RefreshStatus();  // No longer quiet: what it held back shows now, not only counted.
      CatchUp(kQuietCatchUp);
      break;
    case control::Event::kLinkUp:
    case control::Event::kLinkDown:
    case control::Event::kPaired:
    case control::Event::kPartnerPresence:
    case control::Event::kPartnerChanged:
      RefreshStatus();
      break;
    default:
      break;
  }
}

void ChatSession::OnEventAsJson(const control::Event& event) {
  switch (event.kind_case()) {
    case control::Event::kMessageReceived:
      if (transcript_.Record(event.message_received().message()) == ChatTranscript::Seen::kSame) {
        return;
      }
      unread_shown_ = event.message_received().message().id();
      break;
    case control::Event::kChanged:
      if (transcript_.Record(event.changed().message()) == ChatTranscript::Seen::kSame) return;
      break;
    case control::Event::kDelivered:
      // A message another client sent: its text first, then that it was delivered.
      if (transcript_.Find(event.delivered().id()) == nullptr) CatchUp(kUnknownCatchUp);
      break;
    default:
      break;
  }
  Show(ToJsonLine(event));
  if (event.kind_case() == control::Event::kQuietSummary) {
    RefreshStatus();
    CatchUp(kQuietCatchUp);
  }
}

void ChatSession::OnDelivered(uint64_t id) {
  // A message another client sent shows with its text, not only its number.
  if (transcript_.Find(id) == nullptr) CatchUp(kUnknownCatchUp);
  control::Message* message = transcript_.Find(id);
  if (message != nullptr) {
    if (message->state() == control::Message::PENDING)
      message->set_state(control::Message::DELIVERED);
    // A nudge's delivery is not worth a line of its own (nine kisses, nine lines).
    if (message->kind() == control::Message::NUDGE) return;
    if (view_.UpdateLine(id, ChatMessageLine(*message, status_.speakers))) return;
  }
  Show("  [#" + std::to_string(id) + " delivered]");
}

void ChatSession::OnRead(uint64_t up_to_id) {
  bool all_updated = true;
  bool any = false;
  for (control::Message* message : transcript_.OutgoingUnreadUpTo(up_to_id)) {
    message->set_state(control::Message::READ);
    if (message->kind() == control::Message::NUDGE) continue;
    any = true;
    if (!view_.UpdateLine(message->id(), ChatMessageLine(*message, status_.speakers)))
      all_updated = false;
  }
  if (any && !all_updated) Show("  [read up to #" + std::to_string(up_to_id) + "]");
}

void ChatSession::RefreshStatus() {
  control::Request request;
  request.mutable_status();
  control::Response reply;
  if (!Request(request, &reply) || reply.has_error()) return;
  const control::StatusReply& status = reply.status();
  status_.paired = status.paired();
  status_.link_up = status.link_up();
  status_.partner_present = status.partner_present();
  status_.partner = status.partner();
  status_.quiet = status.quiet();
  status_.quiet_until_unix_ms = status.quiet_until_unix_ms();
  status_.speakers = SpeakersOf(status);

  request.mutable_envelopes();
  status_.next_envelope_id = 0;
  if (Request(request, &reply) && !reply.has_error()) {
    int64_t now = NowUnixMs();
    for (const control::Message& message : reply.envelopes().messages()) {
      const control::Message::Envelope& envelope = message.envelope();
      if (envelope.kind() != control::Message::Envelope::SEALED ||
          envelope.state() != control::Message::Envelope::WITHHELD ||
          envelope.open_at_unix_ms() <= now) {
        continue;
      }
      if (status_.next_envelope_id == 0 ||
          envelope.open_at_unix_ms() < status_.next_envelope_at_unix_ms) {
        status_.next_envelope_id = message.id();
        status_.next_envelope_at_unix_ms = envelope.open_at_unix_ms();
      }
    }
  }
  view_.SetStatus(status_);
}

void ChatSession::MarkReadShown() {
  if (unread_shown_ == 0 || !options_.mark_read) return;
  control::Request request;
  request.mutable_mark_read()->set_up_to_id(unread_shown_);
  unread_shown_ = 0;
  control::Response reply;
  // A refusal loses nothing: the messages merely stay unread.
  (void)Request(request, &reply);
}

}  // namespace inmost::cli
