// Presence as people name it ("here", "away", "quiet", "hidden") and what your
// partner shows you, in the words `status`, `presence` and `chat` all use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "inmost/status.h"
#include "proto/control.pb.h"

namespace inmost::cli {

// The choice named `name`: here, away, quiet or hidden. InvalidArgument otherwise.
Result<control::Presence::Choice> ParsePresenceChoice(std::string_view name);

// "here", "away", "quiet", "hidden"; "unknown" for CHOICE_UNSPECIFIED.
std::string_view PresenceChoiceName(control::Presence::Choice choice);

// One labelled line of `status` and `presence`.
struct Field {
  std::string label;
  std::string value;
};

// What your partner shows you: "Partner shows", "Partner last seen" and
// "Their boundaries" (read receipts, honouring forget, nudge budget).
std::vector<Field> PartnerViewFields(const control::PartnerView& view);

// The same on one line, without last seen, for `chat`:
// "away, in quiet hours; read receipts on, honours forget off, accepts 6 nudges an hour".
std::string PartnerViewSummary(const control::PartnerView& view);

}  // namespace inmost::cli
