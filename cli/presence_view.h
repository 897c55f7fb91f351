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

// What you show, as far as it decides what you may see of your partner: you see
// their last seen only while you share yours, and nothing while you are hidden.
struct YourSharing {
  bool known = false;  // False: the daemon did not say (the lines then guess nothing).
  bool hidden = false;
  bool share_last_seen = false;
};

// What your partner shows you: "Partner shows", "Partner last seen" and
// "Their boundaries" (read receipts, honouring forget, nudge budget). When their last
// seen is missing, `yours` says whether that is their choice or the reciprocity.
std::vector<Field> PartnerViewFields(const control::PartnerView& view, const YourSharing& yours);

// The same on one line, without last seen, for `chat`:
// "away, quiet now (only urgent messages are announced to them); read receipts on, honours forget
// off, accepts 6 nudges an hour".
std::string PartnerViewSummary(const control::PartnerView& view);

}  // namespace inmost::cli
