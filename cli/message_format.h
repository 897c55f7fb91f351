// How the CLI shows the daemon's messages and chat events to a person: one line
// per message for `history`, `envelopes` and `chat`, with its state and what to do
// next. Text from the partner is untrusted, so it never reaches the terminal with
// its control characters intact (see TerminalSafe and OneLine).
#pragma once

#include <cstdint>
#include <string>

#include "cli/speakers.h"
#include "proto/control.pb.h"

namespace inmost::cli {

// What stands for a MOMENT entry, which neither of you wrote.
inline constexpr char kMomentText[] = "✨ same moment: you both reached out";
// What stands for a message forgotten here.
inline constexpr char kForgottenText[] = "(forgotten)";
// What stands for a message that disappeared here (`config disappear-after`).
inline constexpr char kDisappearedText[] = "(disappeared)";

// When a message happened as its reader sees it: sent (yours), received (theirs),
// for a scheduled message that has not left, when it is to leave, and for one
// cancelled, when it was written.
int64_t MessageTimeUnixMs(const control::Message& message);

// The reactions on a message: "[you: ❤ · them: 😂]", "[them: 😂]"; empty for none.
std::string FormatReactions(const control::Message& message);

// What an envelope is called: "sealed message", "gentle message", "sealed answer" ...
std::string EnvelopeKindWords(control::Message::Envelope::Kind kind);

// True once the message's body is deleted here by a forget (whatever the partner did)
// or because it disappeared.
bool IsForgotten(const control::Message& message);
// kDisappearedText or kForgottenText: what stands for a message IsForgotten().
const char* GoneText(const control::Message& message);

// Where a forget of `message` stands, such as "forgotten here; your partner is asked
// to forget it too"; empty when nobody asked to forget it.
std::string ForgetDescription(const control::Message& message);

// One message for `history`, `envelopes` and `chat`: "[time] you: text  (#id state)".
// Lines after the first are indented under the text, then come a 📌 when pinned and
// the reactions. Envelopes, questions and scheduled messages show their state and
// what to do next, such as
// "[sealed message]  (#12 sealed until 2027-02-14 09:00, opens in 2d 3h)"; countdowns
// count from `now_unix_ms`. A nudge shows as "(hug ×3)", a moment as kMomentText, a
// file as FormatAttachment() then " — " and its caption (a received one says how to
// save it). A reply shows the line it answers above its text (QuotedLine()), an
// edited text ends in " (edited)", a view-once message shows kViewOnceText and its
// state, a disappearing one when it goes (messenger_format.h).
// `speakers` says who spoke: "you: " or "Sam: ".
std::string FormatMessage(const control::Message& message, const char* time_format,
                          int64_t now_unix_ms, const Speakers& speakers = {});
// The same, counting from the system clock.
std::string FormatMessage(const control::Message& message, const char* time_format,
                          const Speakers& speakers = {});

// One event for `chat`, such as "  [#42 delivered]", "-- your partner is here", a
// changed envelope as "-- changed: " + FormatMessage(), a same moment, the summary
// of a quiet that ended, what your partner now shows, or a file that finished or
// failed (FormatTransferDone); empty for events chat ignores (incoming messages are
// printed with FormatMessage instead, and a file's progress is not shown).
std::string FormatChatEvent(const control::Event& event);

}  // namespace inmost::cli
