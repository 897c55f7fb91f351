// How the CLI shows what issue 21 added to a message: the line a reply quotes, an
// edit, a view-once message's state and when a disappearing message goes (used by
// message_format.cc and export_format.cc), and what `versions` and `view` print.
#pragma once

#include <cstdint>
#include <string>

#include "proto/control.pb.h"

namespace inmost::cli {

// What a view-once message shows in place of its text, which is never in a Message.
inline constexpr char kViewOnceText[] = "[view-once message]";
// At most this many characters (code points) of a quoted text are shown.
inline constexpr size_t kQuoteChars = 60;

// The line a reply shows above its text: `↪ #12 "first words of it…"`, or for what
// cannot be quoted `↪ #12 (a sealed envelope)`; empty when it answers nothing. The
// quote is one line, cut at kQuoteChars with "…".
std::string QuotedLine(const control::Message& message);

// `text` on one line (OneLine), cut after `max_chars` code points with "…".
std::string ShortLine(const std::string& text, size_t max_chars);

// True for a view-once message (viewed or not): its text is never shown.
bool IsViewOnce(const control::Message& message);

// What the state part says of a view-once message: "view it once with: inmost view
// 12" (yours to view), "view once, not yet viewed" (sent), "viewed" (sent, seen) or
// "viewed: gone on both sides"; empty for any other message.
std::string ViewOnceDescription(const control::Message& message);

// When a disappearing message goes: "disappears in 23h", "disappearing now", or before
// it is read "disappears 1d after it is read"; empty for a message that stays.
std::string DisappearDescription(const control::Message& message, int64_t now_unix_ms);

// What `inmost versions ID` prints: each version as "  [time] text", oldest first,
// the last marked "(current)" when there are several.
std::string FormatVersions(uint64_t id, const control::VersionsReply& reply,
                           const char* time_format);

// What `inmost view ID` prints: a heading, the text, then that it is gone for good.
std::string FormatViewed(uint64_t id, const control::ViewReply& reply);

}  // namespace inmost::cli
