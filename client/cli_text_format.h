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

// How long `ms` is, in its two largest units: "80d 21h", "3h 5m", "45s" (a part of a
// second counts as a whole one); "0s" for zero or less.
std::string FormatCountdown(int64_t ms);

// The time format of `history` and of confirmations: "2027-02-14 09:00".
inline constexpr char kDateTimeFormat[] = "%Y-%m-%d %H:%M";

// One message for `history`, `envelopes` and `chat`: "[time] you: text  (state)".
// Lines after the first are indented under the text. Envelopes, questions and
// scheduled messages show their state and what to do next, such as
// "[sealed message]  (#12 sealed until 2027-02-14 09:00, opens in 2d 3h)"; countdowns
// count from `now_unix_ms`.
std::string FormatMessage(const control::Message& message, const char* time_format,
                          int64_t now_unix_ms);
// The same, counting from the system clock.
std::string FormatMessage(const control::Message& message, const char* time_format);

// One event for `chat`, such as "  [#42 delivered]", "-- your partner is here" or a
// changed envelope as "-- changed: " + FormatMessage(); empty for events chat ignores
// (incoming messages are printed with FormatMessage instead).
std::string FormatChatEvent(const control::Event& event);

// The system clock in Unix milliseconds.
int64_t NowUnixMs();

}  // namespace inmost::cli
