// What a stream item is, in words, when it cannot travel whole: an item re-sent to
// a partner whose store rolled back, or a copy sent back to a restored partner.
// Never puts an envelope's body, a file's name or a key into those words.
#pragma once

#include <string>
#include <string_view>

#include "proto/records.pb.h"

namespace inmost::core {

// Empty when `entry` is a plain text that may travel again as it is; otherwise what
// it is ("an envelope", "a file", "a message since forgotten", ...).
std::string NotPlainText(const records::HistoryEntry& entry);

// The partner's words (what an item it could not send was, why it refuses more),
// made safe to show: a short line of valid UTF-8 without control characters, else
// `otherwise`.
std::string ShownWords(std::string_view partner_words, std::string_view otherwise = "an item");

}  // namespace inmost::core
