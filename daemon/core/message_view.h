// How a history entry looks to a control client: the one translation from the
// records at rest to control::Message, for history, events and envelope lists.
// It reads nothing and never exposes what the entry withholds (ciphertext, keys).
#pragma once

#include "proto/control.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

// The view of `entry`; `partner_present` fills in what a together-envelope waits for.
control::Message MessageView(const records::HistoryEntry& entry, bool partner_present);

// True while an entry may still change state on its own (an envelope not yet
// opened or withdrawn, a question not yet revealed, a scheduled message).
bool IsPending(const records::HistoryEntry& entry);

}  // namespace inmost::core
