// One `inmost chat`: its connection to inmostd (subscribed as present, reconnected
// with backoff when the daemon goes away), what the person types, and what is shown
// through a ChatView. It decides what to show; the view decides how.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "cli/chat_status.h"
#include "cli/chat_transcript.h"
#include "cli/chat_typed_line.h"
#include "cli/chat_view.h"
#include "cli/context.h"

namespace inmost::cli {

class ChatSession {
 public:
  struct Options {
    bool mark_read = true;
    uint32_t history_limit = 20;
    bool interactive = false;  // A person types: say how the chat works.
  };
  // `client` is subscribed (present) already.
  ChatSession(CommandContext& context, ChatView& view, Client client, Options options);

  // Shows the recent history and the status.
  void Begin();
  // Runs until the person ends the chat; returns the exit code.
  int Loop();

 private:
  using Clock = std::chrono::steady_clock;

  // ---- the connection (chat_session.cc) ----
  // Sends `request`; false when the connection is lost (then reconnecting).
  bool Request(const control::Request& request, control::Response* reply);
  void Lost();
  void TryReconnect();
  void HandleNextEvent();
  // The milliseconds poll() may wait: until the view's timer, a reconnection or a sweep.
  int WaitMs() const;

  // ---- what is typed (chat_session.cc) ----
  std::optional<int> OnInput(const ChatInput& input);
  void SendText(const std::string& text, const std::string& typed);
  void RunCommand(const TypedLine& typed, const std::string& line);
  void Refuse(const std::string& typed, const std::string& why);

  // ---- the line being written: typing and the draft (chat_session_writing.cc) ----
  // Puts the kept draft in the line being written.
  void LoadDraft();
  // After input: tells the daemon the person is writing (at most once a second) or
  // stopped, and saves the draft a while later.
  void OnEdited();
  // The line was sent: the draft goes at once, and the partner's "writing…" with it.
  void OnLineSent();
  // Saves the draft when it is due (`now`: whenever it changed), at most every 2 s.
  void SaveDraft(bool now);
  // Before the chat ends: the draft saved, writing stopped.
  void FinishWriting();
  void OnDraftChanged(const control::DraftChanged& draft);
  void OnPartnerTyping(const control::PartnerTyping& typing);
  void TellTyping(bool stopped);

  // ---- what is shown (chat_session_show.cc) ----
  void Show(const std::string& line);
  void Notice(const std::string& text);
  void ShowMessage(const control::Message& message);
  // Re-reads the newest `limit` history entries and shows what was not shown (or
  // changed): what arrived while the chat was away, or was sent by another client.
  void CatchUp(uint32_t limit);
  void OnEvent(const control::Event& event);
  void OnEventAsJson(const control::Event& event);
  void OnDelivered(uint64_t id);
  void OnRead(uint64_t up_to_id);
  void RefreshStatus();
  void MarkReadShown();

  CommandContext& context_;
  ChatView& view_;
  std::optional<Client> client_;  // Empty while inmostd is not answering.
  const Options options_;
  const bool json_;
  ChatTranscript transcript_;
  ChatStatus status_;
  uint64_t unread_shown_ = 0;  // The newest incoming message shown and not yet marked read.
  std::set<std::pair<uint64_t, control::Attachment::State>> finished_transfers_;
  std::chrono::milliseconds backoff_{0};
  Clock::time_point retry_at_;
  Clock::time_point sweep_at_;
  // The line being written as last seen (commands count as nothing), the draft as
  // the daemon keeps it, and when a changed one is next saved (nullopt: unchanged).
  std::string writing_;
  std::string draft_kept_;
  std::optional<Clock::time_point> draft_due_at_;
  bool told_typing_ = false;  // The daemon was told "writing" since the last stop.
  Clock::time_point typing_told_at_;
};

}  // namespace inmost::cli
