// How the CLI shows plain values to a person: times, countdowns, counts, safety
// numbers, aligned fields. Text from the partner is untrusted, so it never reaches
// the terminal with its control characters (which could rewrite the screen) intact.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace inmost::cli {

// `text` with terminal control characters (C0 except tab and newline, DEL, C1)
// replaced by '?', so it can only print, never command the terminal.
std::string TerminalSafe(std::string_view text);

// TerminalSafe(text) with line breaks and tabs turned into spaces, for text that
// must stay on its line (an envelope's note, a reaction, a setting's value).
std::string OneLine(std::string_view text);

// `unix_ms` in local time, formatted with strftime's `format`.
std::string LocalTime(int64_t unix_ms, const char* format);

// A safety number as lines of four 5-digit groups (three lines for 60 digits);
// anything that is not 60 digits comes back unchanged as one line.
std::vector<std::string> SafetyNumberLines(std::string_view safety_number);

// How long `ms` is, in its two largest units: "80d 21h", "3h 5m", "45s" (a part of a
// second counts as a whole one); "0s" for zero or less.
std::string FormatCountdown(int64_t ms);

// `n` and its noun: "1 message", "3 messages" (`noun` takes an "s").
std::string Count(uint64_t n, std::string_view noun);

// The time format of `history` and of confirmations: "2027-02-14 09:00".
inline constexpr char kDateTimeFormat[] = "%Y-%m-%d %H:%M";

// "Label:" padded to the column where `status` and `presence` start their values,
// then `value`; an empty label continues the field above.
std::string FieldLine(std::string_view label, std::string_view value);

// The system clock in Unix milliseconds.
int64_t NowUnixMs();

}  // namespace inmost::cli
