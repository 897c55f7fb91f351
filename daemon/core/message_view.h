// How a history entry looks to a control client: the one translation from the
// records at rest to control::Message, for history, events and envelope lists.
// It reads nothing and never exposes what the entry withholds (ciphertext, keys, and
// while a received file is sealed, its exact size).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

// True once an entry's content is deleted here (forgotten, disappeared); a request to
// forget it that waits for this person, or was declined, leaves it. By state alone,
// for readers (the search scan) that parse no more of an entry than its fields.
bool ForgottenHere(records::HistoryEntry::ForgetState forget);

// False once an entry's content is deleted here: !ForgottenHere(entry.forget()).
bool HasContent(const records::HistoryEntry& entry);

// What a reply quotes when the answered message's text cannot or must not be shown.
inline constexpr std::string_view kQuoteGone = "a message you no longer have";
inline constexpr std::string_view kQuoteSealed = "a sealed envelope";
inline constexpr std::string_view kQuoteViewOnce = "a view-once message";
// The longest quoted line, in bytes (cut at a character boundary, "…" added).
inline constexpr size_t kMaxQuoteBytes = 120;

// The line a reply to `entry` shows: the start of its text (or caption), or what it
// is when there is no text to show (never a withheld or view-once body).
std::string QuotedLine(const records::HistoryEntry& entry);

// True while an entry may still change state on its own (an envelope not yet
// opened or withdrawn, a question not yet revealed, a scheduled message).
bool IsPending(const records::HistoryEntry& entry);

}  // namespace inmost::core
