// `inmost chat` full-screen in a terminal (ncursesw): the conversation above, a
// status line, and a line being typed with its own editing keys and history. It
// draws and reads keys; it never talks to the daemon.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "cli/chat_line_editor.h"
#include "cli/chat_view.h"

namespace inmost::cli {

class ChatScreen : public ChatView {
 public:
  // Takes over the terminal; null when it cannot (no usable $TERM), and the chat
  // then runs as plain lines.
  static std::unique_ptr<ChatScreen> Open();
  // Gives the terminal back as it was.
  ~ChatScreen() override;
  ChatScreen(const ChatScreen&) = delete;
  ChatScreen& operator=(const ChatScreen&) = delete;

  void AddLine(const std::string& line, uint64_t id, bool may_change) override;
  bool UpdateLine(uint64_t id, const std::string& line) override;
  void SetStatus(const ChatStatus& status) override;
  int input_fd() const override;
  std::vector<ChatInput> ReadInput() override;
  bool reads_without_blocking() const override { return true; }
  void RefuseInput(const std::string& line, const std::string& why) override;
  std::optional<std::string> Editing() const override;
  void SetEditing(const std::string& text) override;
  int TimerMs() const override;
  void Tick() override;
  void Flush() override;

 private:
  struct Line {
    uint64_t id;
    std::wstring text;
  };
  explicit ChatScreen(void* screen) : screen_(screen) {}
  void Draw();
  void DrawConversation(int rows, int columns);
  void DrawInput(int row, int columns);
  // Handles one key; false for a key that ends the chat.
  bool HandleKey(int kind, unsigned key, std::vector<ChatInput>* inputs);

  void* screen_;  // The ncurses SCREEN, kept opaque so that <curses.h> stays in one file.
  std::deque<Line> lines_;
  ChatLineEditor editor_;
  ChatStatus status_;
  std::string status_drawn_;
  int scroll_ = 0;  // Rows scrolled back from the newest (PgUp/PgDn).
  bool dirty_ = true;
};

}  // namespace inmost::cli
