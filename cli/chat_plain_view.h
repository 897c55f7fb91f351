// `inmost chat` on a pipe or a file: one line per thing shown on standard output and
// lines read from standard input, as scripts and tests use it. It never redraws: a
// line that may change (a nudge) is held back briefly instead, so a burst of nudges
// prints as one line.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>

#include "cli/chat_view.h"

namespace inmost::cli {

class ChatPlainView : public ChatView {
 public:
  ChatPlainView(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}
  // Prints a line still held back.
  ~ChatPlainView() override;

  void AddLine(const std::string& line, uint64_t id, bool may_change) override;
  bool UpdateLine(uint64_t id, const std::string& line) override;
  void SetStatus(const ChatStatus&) override {}
  int input_fd() const override;
  std::vector<ChatInput> ReadInput() override;
  bool reads_without_blocking() const override { return false; }
  void RefuseInput(const std::string& line, const std::string& why) override;
  int TimerMs() const override;
  void Tick() override;
  void Flush() override;

 private:
  struct Held {
    uint64_t id;
    std::string line;
    std::chrono::steady_clock::time_point until;
  };
  void PrintHeld();

  std::ostream& out_;
  std::ostream& err_;
  std::string partial_;  // Typed after the last newline.
  std::optional<Held> held_;
};

}  // namespace inmost::cli
