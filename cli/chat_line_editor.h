// The line `inmost chat` is typing in its full-screen mode: the text, the cursor and
// the lines typed before (up/down). Pure editing state with no terminal in it, so it
// can be tested alone; it never sends anything itself.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace inmost::cli {

class ChatLineEditor {
 public:
  // Wide characters, so that the cursor moves by character and not by UTF-8 byte.
  const std::wstring& text() const { return text_; }
  size_t cursor() const { return cursor_; }
  bool empty() const { return text_.empty(); }

  void Insert(wchar_t c);
  void Backspace();  // Deletes before the cursor.
  void Delete();     // Deletes under the cursor.
  void Left();
  void Right();
  void Home();
  void End();
  void KillToStart();  // Ctrl-U
  void KillToEnd();    // Ctrl-K
  void Older();        // Up: the line typed before the one shown.
  void Newer();        // Down: back towards the line being written.

  // The line as typed (UTF-8), kept in the history; the editor is empty afterwards.
  std::string Submit();
  // Puts `line` (UTF-8) back to be edited, as when it could not be sent.
  void Restore(const std::string& line);

 private:
  std::wstring text_;
  size_t cursor_ = 0;
  std::vector<std::wstring> history_;
  size_t history_at_ = 0;  // history_.size(): the line being written, not a past one.
  std::wstring draft_;     // What was being written before Up was pressed.
};

// UTF-8 to wide characters and back; invalid bytes become U+FFFD.
std::wstring WideFromUtf8(const std::string& text);
std::string Utf8FromWide(const std::wstring& text);

}  // namespace inmost::cli
