// `inmost chat`'s line being written: the daemon is told the person is writing (at
// most once a second; it sends on at most every 3 s) and when they stop, and the
// line is kept as the draft, saved at most every 2 s, at the end and cleared once
// sent. A command typed (/open 4) is neither writing nor a draft. Only a view that
// edits its line (full-screen) takes part; lines read whole never do.
#include <string_view>

#include "cli/chat_session.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr std::chrono::seconds kTellTypingEvery{1};
constexpr std::chrono::seconds kSaveDraftEvery{2};

// What of the line being written is a message in the making: a command is not.
std::string Writing(const std::string& line) {
  std::string_view text = line;
  if (text.starts_with('/') && !text.starts_with("//")) return {};
  return line;
}

}  // namespace

void ChatSession::LoadDraft() {
  if (!view_.Editing()) return;
  control::Request request;
  request.mutable_draft();
  control::Response reply;
  if (!Request(request, &reply) || reply.has_error()) return;
  draft_kept_ = reply.draft().text();
  if (draft_kept_.empty()) return;
  view_.SetEditing(draft_kept_);
  writing_ = draft_kept_;
  Notice("your draft is back on the line below, from " +
         LocalTime(reply.draft().updated_at_unix_ms(), kDateTimeFormat));
}

void ChatSession::OnEdited() {
  std::optional<std::string> editing = view_.Editing();
  if (!editing) return;
  std::string writing = Writing(*editing);
  if (writing == writing_) return;  // The cursor moved, or nothing happened.
  writing_ = std::move(writing);
  if (writing_.empty()) {
    if (told_typing_) TellTyping(true);
  } else if (!told_typing_ || Clock::now() - typing_told_at_ >= kTellTypingEvery) {
    TellTyping(false);
  }
  if (!draft_due_at_) draft_due_at_ = Clock::now() + kSaveDraftEvery;
}

void ChatSession::OnLineSent() {
  if (!view_.Editing()) return;
  if (told_typing_) TellTyping(true);
  // What is on the line now was typed after the line sent (usually nothing).
  writing_ = Writing(*view_.Editing());
  SaveDraft(true);
}

void ChatSession::SaveDraft(bool now) {
  if (!view_.Editing()) return;
  if (writing_ == draft_kept_) {
    draft_due_at_.reset();
    return;
  }
  if (!now && (!draft_due_at_ || Clock::now() < *draft_due_at_)) return;
  control::Request request;
  request.mutable_draft()->set_set(true);
  request.mutable_draft()->set_text(writing_);
  control::Response reply;
  if (!Request(request, &reply) || reply.has_error()) {
    // Kept on the line all the same: saved again a while later (or after reconnecting).
    draft_due_at_ = Clock::now() + kSaveDraftEvery;
    return;
  }
  draft_kept_ = reply.draft().text();
  draft_due_at_.reset();
}

void ChatSession::FinishWriting() {
  OnEdited();
  if (told_typing_) TellTyping(true);
  SaveDraft(true);
}

void ChatSession::OnDraftChanged(const control::DraftChanged& draft) {
  std::optional<std::string> editing = view_.Editing();
  if (!editing || draft.text() == draft_kept_) return;  // Ours, or seen.
  // Changed in another client: taken up here unless this line holds changes of its
  // own not saved yet (those win when they are).
  if (*editing != draft_kept_) return;
  draft_kept_ = draft.text();
  writing_ = draft_kept_;
  view_.SetEditing(draft_kept_);
}

void ChatSession::OnPartnerTyping(const control::PartnerTyping& typing) {
  status_.partner_writing_until_unix_ms = typing.typing() ? typing.until_unix_ms() : 0;
  view_.SetStatus(status_);
}

void ChatSession::TellTyping(bool stopped) {
  control::Request request;
  request.mutable_typing()->set_stopped(stopped);
  control::Response reply;
  // Only a signal of the moment: one lost is not worth saying.
  if (!Request(request, &reply)) return;
  told_typing_ = !stopped;
  typing_told_at_ = Clock::now();
}

}  // namespace inmost::cli
