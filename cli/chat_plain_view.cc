// `inmost chat` as plain lines, for pipes and files: what the session shows goes to
// standard output a line at a time, and each input line is handed back whole. It
// never sends anything and never draws the status line.
#include "cli/chat_plain_view.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ostream>

namespace inmost::cli {
namespace {

// How long a nudge's line waits for more of the same before it is printed.
constexpr std::chrono::milliseconds kHoldFor{400};

}  // namespace

ChatPlainView::~ChatPlainView() {
  PrintHeld();
  out_.flush();
}

void ChatPlainView::AddLine(const std::string& line, uint64_t id, bool may_change) {
  PrintHeld();
  if (may_change && id != 0) {
    held_ = Held{id, line, std::chrono::steady_clock::now() + kHoldFor};
    return;
  }
  out_ << line << '\n';
}

bool ChatPlainView::UpdateLine(uint64_t id, const std::string& line) {
  if (!held_ || held_->id != id) return false;  // Printed already: lines stay.
  held_->line = line;
  held_->until = std::chrono::steady_clock::now() + kHoldFor;
  return true;
}

int ChatPlainView::input_fd() const {
  return STDIN_FILENO;
}

std::vector<ChatInput> ChatPlainView::ReadInput() {
  std::vector<ChatInput> inputs;
  char buffer[4096];
  ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return inputs;
  if (n <= 0) {  // End of input: an unfinished last line still counts.
    if (!partial_.empty()) inputs.push_back({ChatInput::kLine, std::move(partial_)});
    partial_.clear();
    inputs.push_back({ChatInput::kEnd, ""});
    return inputs;
  }
  partial_.append(buffer, static_cast<size_t>(n));
  size_t newline;
  while ((newline = partial_.find('\n')) != std::string::npos) {
    std::string line = partial_.substr(0, newline);
    partial_.erase(0, newline + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    inputs.push_back({ChatInput::kLine, std::move(line)});
  }
  return inputs;
}

void ChatPlainView::RefuseInput(const std::string& /*line*/, const std::string& why) {
  AddLine("  [not sent: " + why + "]", 0, false);
}

int ChatPlainView::TimerMs() const {
  if (!held_) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      held_->until - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

void ChatPlainView::Tick() {
  if (held_ && std::chrono::steady_clock::now() >= held_->until) PrintHeld();
}

void ChatPlainView::Flush() {
  out_.flush();
  err_.flush();
}

void ChatPlainView::PrintHeld() {
  if (!held_) return;
  out_ << held_->line << '\n';
  held_.reset();
}

}  // namespace inmost::cli
