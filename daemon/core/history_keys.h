// Where the conversation keeps its records in the store: the one place that knows
// these keys, for the conversation, the search, and the tools that read a store.
// Keys hold only ids and sequence numbers (see store/record_key.h), never content.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/store/record_key.h"

namespace inmost::core {

inline constexpr std::string_view kHistoryPrefix = "h/";        // + id: a HistoryEntry.
inline constexpr std::string_view kCountersKey = "c/counters";  // ConversationCounters.
inline constexpr std::string_view kLineageKey = "c/streams";    // StreamLineage.
inline constexpr std::string_view kOutgoingPrefix = "o/";       // + our seq: OutgoingIndex.
inline constexpr std::string_view kIncomingPrefix = "in/";      // + partner's seq: EntryIndex.
inline constexpr std::string_view kNumberPrefix = "n/";         // + message number: EntryIndex.
inline constexpr std::string_view kPinPrefix = "pin/";          // + id: a pinned entry.
// + the time it disappears (unix ms) + id, empty: an opened disappearing entry.
inline constexpr std::string_view kDisappearPrefix = "dx/";
// + an OutgoingIndex's apart_id: an outgoing item no backup holds (a Deliver). Under
// the prefix backups skip (store/backup_format.h).
inline constexpr std::string_view kApartItemPrefix = "vk/o/";

// `prefix` followed by `id` as 8 big-endian bytes, so ids sort in numeric order.
inline std::string KeyWithId(std::string_view prefix, uint64_t id) {
  std::string key(prefix);
  store::AppendUint64(key, id);
  return key;
}

inline std::string HistoryKey(uint64_t id) {
  return KeyWithId(kHistoryPrefix, id);
}

inline std::string OutgoingKey(uint64_t seq) {
  return KeyWithId(kOutgoingPrefix, seq);
}

inline std::string ApartItemKey(std::string_view apart_id) {
  return std::string(kApartItemPrefix).append(apart_id);
}

inline std::string IncomingKey(uint64_t seq) {
  return KeyWithId(kIncomingPrefix, seq);
}

inline std::string NumberKey(uint64_t number) {
  return KeyWithId(kNumberPrefix, number);
}

inline std::string PinKey(uint64_t id) {
  return KeyWithId(kPinPrefix, id);
}

// Sorts by time first, so the entries due soonest come first.
inline std::string DisappearKey(int64_t at_unix_ms, uint64_t id) {
  std::string key =
      KeyWithId(kDisappearPrefix, static_cast<uint64_t>(std::max<int64_t>(0, at_unix_ms)));
  store::AppendUint64(key, id);
  return key;
}

}  // namespace inmost::core
