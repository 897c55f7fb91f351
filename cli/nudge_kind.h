// The kinds of nudge by the names people type ("hug", "missing-you") and the words
// they are shown with ("missing you"), so the nudge command, history and export all
// call each kind the same.
#pragma once

#include <string>
#include <string_view>

#include "inmost/status.h"
#include "proto/control.pb.h"

namespace inmost::cli {

// The kind named `name` ("thinking-of-you", "hug", "kiss", "laugh", "missing-you",
// "goodnight"). InvalidArgument, listing the names, for anything else.
Result<control::Nudge::Kind> ParseNudgeKind(std::string_view name);

// The name `ParseNudgeKind` takes for `kind`: "missing-you".
std::string_view NudgeKindName(control::Nudge::Kind kind);

// Every name, comma-separated, for help texts and errors.
std::string NudgeKindNames();

// How a nudge reads in a conversation: "(hug)", or "(missing you ×3)" for one that
// stands for several sent while the link was down.
std::string NudgeLabel(const control::Nudge& nudge);

}  // namespace inmost::cli
