// `inmost chat` full-screen: ncursesw draws the conversation, the status line and the
// line being typed, and reads keys in raw mode (so Ctrl-C ends the chat and gives the
// terminal back rather than killing it mid-draw). It never talks to the daemon.
#include "cli/chat_screen.h"

#include <langinfo.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <clocale>
#include <cstring>
#include <cwchar>

#include "cli/text_format.h"

// Last: curses.h defines macros (OK, ERR, TRUE ...) that must not meet other headers.
// NCURSES_NOMACROS keeps erase(), move() and friends functions, not macros.
#define NCURSES_NOMACROS
#define NCURSES_WIDECHAR 1
#include <curses.h>

namespace inmost::cli {
namespace {

// Lines kept for scrolling back.
constexpr size_t kMaxLines = 5000;
constexpr char kPrompt[] = "> ";

int Width(wchar_t c) {
  int width = ::wcwidth(c);
  return width < 0 ? 1 : width;
}

// `text` cut into rows of at most `columns` cells, at its newlines and where full.
std::vector<std::wstring> Rows(const std::wstring& text, int columns) {
  std::vector<std::wstring> rows(1);
  int used = 0;
  for (wchar_t c : text) {
    if (c == L'\n') {
      rows.emplace_back();
      used = 0;
      continue;
    }
    int width = Width(c);
    if (used + width > columns && used > 0) {
      rows.emplace_back();
      used = 0;
    }
    rows.back().push_back(c);
    used += width;
  }
  return rows;
}

void Put(int row, int column, const std::wstring& text) {
  mvaddnwstr(row, column, text.c_str(), static_cast<int>(text.size()));
}

}  // namespace

std::unique_ptr<ChatScreen> ChatScreen::Open() {
  // Messages are UTF-8 whatever the locale: ❤ must draw and typed accents must read.
  std::setlocale(LC_ALL, "");
  if (std::strcmp(nl_langinfo(CODESET), "UTF-8") != 0) std::setlocale(LC_CTYPE, "C.UTF-8");
  // newterm, not initscr: without a usable $TERM it fails instead of exiting.
  SCREEN* screen = newterm(nullptr, stdout, stdin);
  if (screen == nullptr) return nullptr;
  raw();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  set_escdelay(25);
  return std::unique_ptr<ChatScreen>(new ChatScreen(screen));
}

ChatScreen::~ChatScreen() {
  endwin();
  delscreen(static_cast<SCREEN*>(screen_));
}

void ChatScreen::AddLine(const std::string& line, uint64_t id, bool /*may_change*/) {
  lines_.push_back({id, WideFromUtf8(line)});
  if (lines_.size() > kMaxLines) lines_.pop_front();
  dirty_ = true;
}

bool ChatScreen::UpdateLine(uint64_t id, const std::string& line) {
  if (id == 0) return false;
  for (auto it = lines_.rbegin(); it != lines_.rend(); ++it) {
    if (it->id != id) continue;
    it->text = WideFromUtf8(line);
    dirty_ = true;
    return true;
  }
  return false;
}

void ChatScreen::SetStatus(const ChatStatus& status) {
  status_ = status;
  dirty_ = true;
}

int ChatScreen::input_fd() const {
  return STDIN_FILENO;
}

std::vector<ChatInput> ChatScreen::ReadInput() {
  std::vector<ChatInput> inputs;
  wint_t key = 0;
  int kind;
  while ((kind = get_wch(&key)) != ERR) {
    if (!HandleKey(kind, key, &inputs)) {
      inputs.push_back({ChatInput::kEnd, ""});
      break;
    }
  }
  dirty_ = true;
  return inputs;
}

bool ChatScreen::HandleKey(int kind, unsigned key, std::vector<ChatInput>* inputs) {
  auto submit = [&] {
    std::string line = editor_.Submit();
    if (!line.empty()) inputs->push_back({ChatInput::kLine, std::move(line)});
    scroll_ = 0;  // What is sent shows at the bottom.
  };
  if (kind == KEY_CODE_YES) {
    switch (key) {
      case KEY_ENTER:
        submit();
        break;
      case KEY_BACKSPACE:
        editor_.Backspace();
        break;
      case KEY_DC:
        editor_.Delete();
        break;
      case KEY_LEFT:
        editor_.Left();
        break;
      case KEY_RIGHT:
        editor_.Right();
        break;
      case KEY_HOME:
        editor_.Home();
        break;
      case KEY_END:
        editor_.End();
        break;
      case KEY_UP:
        editor_.Older();
        break;
      case KEY_DOWN:
        editor_.Newer();
        break;
      case KEY_PPAGE:
        scroll_ += std::max(1, LINES / 2);
        break;
      case KEY_NPAGE:
        scroll_ = std::max(0, scroll_ - std::max(1, LINES / 2));
        break;
      default:  // KEY_RESIZE and the rest: a redraw is all they need.
        break;
    }
    return true;
  }
  switch (key) {
    case '\r':
    case '\n':
      submit();
      break;
    case 127:
    case 8:  // Backspace, as terminals send it.
      editor_.Backspace();
      break;
    case 3:  // Ctrl-C
      return false;
    case 4:  // Ctrl-D: ends the chat on an empty line, as in a shell.
      if (editor_.empty()) return false;
      editor_.Delete();
      break;
    case 1:  // Ctrl-A
      editor_.Home();
      break;
    case 5:  // Ctrl-E
      editor_.End();
      break;
    case 2:  // Ctrl-B
      editor_.Left();
      break;
    case 6:  // Ctrl-F
      editor_.Right();
      break;
    case 16:  // Ctrl-P
      editor_.Older();
      break;
    case 14:  // Ctrl-N
      editor_.Newer();
      break;
    case 21:  // Ctrl-U
      editor_.KillToStart();
      break;
    case 11:  // Ctrl-K
      editor_.KillToEnd();
      break;
    case 12:  // Ctrl-L
      clearok(stdscr, TRUE);
      break;
    default:
      if (key >= 0x20 && key != 0x7F) editor_.Insert(static_cast<wchar_t>(key));
      break;
  }
  return true;
}

void ChatScreen::RefuseInput(const std::string& line, const std::string& why) {
  AddLine("  [not sent: " + why + "]", 0, false);
  // Given back to edit and send again, unless something new is being typed already.
  if (editor_.empty()) editor_.Restore(line);
}

std::optional<std::string> ChatScreen::Editing() const {
  return Utf8FromWide(editor_.text());
}

void ChatScreen::SetEditing(const std::string& text) {
  editor_.Restore(text);
  dirty_ = true;
}

int ChatScreen::TimerMs() const {
  // Once a second, for the countdown on the status line.
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return 1000 - static_cast<int>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(now).count() % 1000);
}

void ChatScreen::Tick() {
  if (FormatChatStatus(status_, NowUnixMs()) != status_drawn_) dirty_ = true;
}

void ChatScreen::Flush() {
  if (!dirty_) return;
  Draw();
  dirty_ = false;
}

void ChatScreen::Draw() {
  erase();
  int rows = LINES;
  int columns = COLS;
  if (rows < 3 || columns < 10) {
    refresh();
    return;
  }
  DrawConversation(rows - 2, columns);
  status_drawn_ = FormatChatStatus(status_, NowUnixMs());
  std::wstring status = L" " + WideFromUtf8(status_drawn_);
  if (scroll_ > 0) status += L" · scrolled back (PgDn)";
  attron(A_REVERSE);
  mvhline(rows - 2, 0, ' ', columns);
  Put(rows - 2, 0, Rows(status, columns).front());
  attroff(A_REVERSE);
  DrawInput(rows - 1, columns);
  refresh();
}

void ChatScreen::DrawConversation(int rows, int columns) {
  // The newest rows at the bottom, `scroll_` rows back from the newest.
  std::vector<std::wstring> shown;
  int skip = scroll_;
  for (auto it = lines_.rbegin(); it != lines_.rend() && static_cast<int>(shown.size()) < rows;
       ++it) {
    std::vector<std::wstring> line_rows = Rows(it->text, columns);
    for (auto row = line_rows.rbegin(); row != line_rows.rend(); ++row) {
      if (skip > 0) {
        --skip;
        continue;
      }
      if (static_cast<int>(shown.size()) < rows) shown.push_back(*row);
    }
  }
  if (skip > 0) scroll_ -= skip;  // Scrolled past the oldest line: stop there.
  int row = rows - static_cast<int>(shown.size());
  for (auto it = shown.rbegin(); it != shown.rend(); ++it) Put(row++, 0, *it);
}

void ChatScreen::DrawInput(int row, int columns) {
  const std::wstring& text = editor_.text();
  int room = columns - static_cast<int>(sizeof kPrompt - 1) - 1;
  // Scroll the line sideways so that the cursor stays in sight.
  size_t start = 0;
  int before_cursor = 0;
  for (size_t i = 0; i < editor_.cursor(); ++i) before_cursor += Width(text[i]);
  while (before_cursor > room && start < editor_.cursor()) before_cursor -= Width(text[start++]);
  std::wstring visible;
  int used = 0;
  for (size_t i = start; i < text.size() && used + Width(text[i]) <= room; ++i) {
    visible.push_back(text[i]);
    used += Width(text[i]);
  }
  mvaddstr(row, 0, kPrompt);
  Put(row, static_cast<int>(sizeof kPrompt - 1), visible);
  move(row, static_cast<int>(sizeof kPrompt - 1) + before_cursor);
}

}  // namespace inmost::cli
