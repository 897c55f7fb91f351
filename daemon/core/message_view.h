// How a history entry looks to a control client: the one translation from the
// records at rest to control::Message, for history, events and envelope lists.
// It reads nothing and never exposes what the entry withholds (ciphertext, keys, and
// while a received file is sealed, its exact size).
#pragma once

#include <cstdint>

#include "proto/control.pb.h"
#include "proto/records.pb.h"

namespace inmost::core {

// The smallest size a sealed file shows (SealedFileSize).
inline constexpr uint64_t kSealedFileSizeFloor = 1024;

// The size a received file shows while it is sealed: `size` rounded up to a power of
// two, at least kSealedFileSizeFloor, so a sealed message tells its partner no more
// than roughly how big it is. The exact size shows once it opens.
uint64_t SealedFileSize(uint64_t size);

// The view of `entry` (a received file still sealed shows SealedFileSize()); `partner_present`
// fills in what a together-envelope waits for.
control::Message MessageView(const records::HistoryEntry& entry, bool partner_present);

// True while an entry may still change state on its own (an envelope not yet
// opened or withdrawn, a question not yet revealed, a scheduled message).
bool IsPending(const records::HistoryEntry& entry);

}  // namespace inmost::core
