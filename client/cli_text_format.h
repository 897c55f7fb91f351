// How the CLI shows the daemon's data to a person: messages, times, safety
// numbers. Text from the partner is untrusted, so it never reaches the terminal
// with its control characters (which could rewrite the screen) intact.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/control.pb.h"

namespace inmost::cli {

// `text` with terminal control characters (C0 except tab and newline, DEL, C1)
// replaced by '?', so it can only print, never command the terminal.
std::string TerminalSafe(std::string_view text);

// `unix_ms` in local time, formatted with strftime's `format`.
std::string LocalTime(int64_t unix_ms, const char* format);

// A safety number as lines of four 5-digit groups (three lines for 60 digits);
// anything that is not 60 digits comes back unchanged as one line.
std::vector<std::string> SafetyNumberLines(std::string_view safety_number);

// One message for `history` and `chat`: "[time] you: text (state)". Lines after
// the first are indented under the text.
std::string FormatMessage(const control::Message& message, const char* time_format);

// One event for `chat`, such as "  [#42 delivered]"; empty for events chat ignores
// (incoming messages are printed with FormatMessage instead).
std::string FormatChatEvent(const control::Event& event);

}  // namespace inmost::cli
