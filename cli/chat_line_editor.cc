// The line `inmost chat` is typing: editing keys and the history of typed lines.
// Only state: the screen draws it, and the session decides what a line means.
#include "cli/chat_line_editor.h"

#include <cstdint>

namespace inmost::cli {

void ChatLineEditor::Insert(wchar_t c) {
  text_.insert(cursor_, 1, c);
  ++cursor_;
}

void ChatLineEditor::Backspace() {
  if (cursor_ == 0) return;
  text_.erase(--cursor_, 1);
}

void ChatLineEditor::Delete() {
  if (cursor_ < text_.size()) text_.erase(cursor_, 1);
}

void ChatLineEditor::Left() {
  if (cursor_ > 0) --cursor_;
}

void ChatLineEditor::Right() {
  if (cursor_ < text_.size()) ++cursor_;
}

void ChatLineEditor::Home() {
  cursor_ = 0;
}

void ChatLineEditor::End() {
  cursor_ = text_.size();
}

void ChatLineEditor::KillToStart() {
  text_.erase(0, cursor_);
  cursor_ = 0;
}

void ChatLineEditor::KillToEnd() {
  text_.erase(cursor_);
}

void ChatLineEditor::Older() {
  if (history_at_ == 0) return;
  if (history_at_ == history_.size()) draft_ = text_;
  text_ = history_[--history_at_];
  cursor_ = text_.size();
}

void ChatLineEditor::Newer() {
  if (history_at_ >= history_.size()) return;
  ++history_at_;
  text_ = history_at_ == history_.size() ? draft_ : history_[history_at_];
  cursor_ = text_.size();
}

std::string ChatLineEditor::Submit() {
  std::string line = Utf8FromWide(text_);
  // The same line twice in a row is one step back in the history, as in a shell.
  if (!text_.empty() && (history_.empty() || history_.back() != text_)) history_.push_back(text_);
  text_.clear();
  draft_.clear();
  cursor_ = 0;
  history_at_ = history_.size();
  return line;
}

void ChatLineEditor::Restore(const std::string& line) {
  text_ = WideFromUtf8(line);
  cursor_ = text_.size();
  history_at_ = history_.size();
}

std::wstring WideFromUtf8(const std::string& text) {
  std::wstring out;
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80           ? 1
                    : (byte >> 5) == 0x6  ? 2
                    : (byte >> 4) == 0xE  ? 3
                    : (byte >> 3) == 0x1E ? 4
                                          : 0;
    if (length == 0 || i + length > text.size()) {
      out.push_back(L'\uFFFD');
      ++i;
      continue;
    }
    char32_t c = length == 1 ? byte : byte & (0x7F >> length);
    bool valid = true;
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) valid = false;
      c = (c << 6) | (next & 0x3F);
    }
    if (!valid) {
      out.push_back(L'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(static_cast<wchar_t>(c));
    i += length;
  }
  return out;
}

std::string Utf8FromWide(const std::wstring& text) {
  std::string out;
  for (wchar_t wide : text) {
    auto c = static_cast<uint32_t>(wide);
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

}  // namespace inmost::cli
