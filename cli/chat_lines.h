// How `inmost chat` words what it shows: a message as the other commands show it but
// with the next step as a slash command ("open with: /open 12"), a run of nudges as
// one line, and its JSON lines for `inmost --json chat`. Formatting only.
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <string>

#include "cli/speakers.h"
#include "proto/control.pb.h"

namespace inmost::cli {

// FormatMessage(), with the "inmost COMMAND" hints in its state turned into
// "/COMMAND", as typed in the chat; the time of day, with the date unless today.
std::string ChatMessageLine(const control::Message& message, const Speakers& speakers);

// The line of a run of `count` nudges like `last`, the newest: "(kiss ×9)".
std::string NudgeRunLine(const control::Message& last, uint32_t count, const Speakers& speakers);

// {"message": ...}: a history entry shown (from the history, or sent elsewhere).
std::string JsonMessageLine(const control::Message& message);
// {"notice": "..."}: something chat itself says (reconnecting, not sent, help).
std::string JsonNoticeLine(const std::string& text);

}  // namespace inmost::cli
