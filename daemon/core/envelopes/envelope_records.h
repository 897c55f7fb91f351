// Where the envelope logic keeps its records in the store, and the small facts
// about history entries every file of core/envelopes/ shares. Internal to this
// folder: nothing outside it includes this, and no content is ever put in a key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/core/history_keys.h"
#include "proto/records.pb.h"

namespace inmost::core {

inline constexpr std::string_view kPendingPrefix = "p/";      // + history id: pending entries.
inline constexpr std::string_view kEnvelopePrefix = "e/";     // + envelope id: EntryIndex.
inline constexpr std::string_view kQuestionPrefix = "q/";     // + question id: EntryIndex.
inline constexpr std::string_view kContentKeyPrefix = "ek/";  // + envelope id: withheld key.

inline std::string PendingKey(uint64_t id) {
  return KeyWithId(kPendingPrefix, id);
}

inline std::string KeyFor(std::string_view prefix, const std::string& id) {
  return std::string(prefix) + id;
}

inline bool IsOutgoing(const records::HistoryEntry& e) {
  return e.direction() == records::HistoryEntry::OUTGOING;
}

}  // namespace inmost::core
