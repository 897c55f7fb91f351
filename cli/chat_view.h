// What `inmost chat` shows and reads through: the full-screen window (ChatScreen) or
// plain lines on a pipe (ChatPlainView). The session decides what to say; a view
// only puts it on the terminal and hands back what was typed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/chat_status.h"

namespace inmost::cli {

struct ChatInput {
  enum Kind { kLine, kEnd };  // A typed line, or the end of input (Ctrl-D, Ctrl-C, EOF).
  Kind kind = kLine;
  std::string line;
};

class ChatView {
 public:
  virtual ~ChatView() = default;

  // Adds a line to the conversation. `id` names it for UpdateLine (0: none); a
  // `may_change` line may soon be replaced (a nudge that more may join), so a view
  // that cannot redraw may hold it back a moment.
  virtual void AddLine(const std::string& line, uint64_t id = 0, bool may_change = false) = 0;
  // Replaces the line added with `id`; false when this view cannot (any more).
  virtual bool UpdateLine(uint64_t id, const std::string& line) = 0;
  virtual void SetStatus(const ChatStatus& status) = 0;

  // The descriptor to poll for input.
  virtual int input_fd() const = 0;
  // What was typed since the last call; call it when input_fd() is readable (it may
  // block otherwise, unless reads_without_blocking()).
  virtual std::vector<ChatInput> ReadInput() = 0;
  // Whether ReadInput() may be called at any time: after a signal (a resized
  // terminal) too.
  virtual bool reads_without_blocking() const = 0;
  // Tells why `line` was not sent; a view that can gives it back to edit.
  virtual void RefuseInput(const std::string& line, const std::string& why) = 0;
  // The line being written and not yet sent (UTF-8), for a view that edits one as it
  // is typed; nullopt for a view that reads whole lines (no draft, no typing there).
  virtual std::optional<std::string> Editing() const { return std::nullopt; }
  // Puts `text` (a kept draft) in the line being written, in place of what is there.
  virtual void SetEditing(const std::string& /*text*/) {}

  // Milliseconds until the view wants Tick() (a countdown, a held line); -1: never.
  virtual int TimerMs() const = 0;
  virtual void Tick() = 0;
  // Writes out what was drawn or printed.
  virtual void Flush() = 0;
};

}  // namespace inmost::cli
