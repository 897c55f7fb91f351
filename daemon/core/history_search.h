// Search over the encrypted history by opening all of it, in parallel ranges: what a
// search does while the word index (history_index.h) is being built.
// It only reads the store, never logs or keeps text beyond the matches it returns.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/records.pb.h"

namespace inmost::core {

struct SearchResult {
  std::vector<records::HistoryEntry> matches;  // Newest first, at most the limit.
  uint64_t searched = 0;                       // History entries looked at.
  bool more = false;                           // More entries matched than the limit.
};

// The entries whose text contains every whitespace-separated word of `words`, ASCII
// letters matching either case and every other byte only itself. Entries without
// text never match: a withheld envelope, a nudge, a message forgotten here.
// The history is split into `threads` shards opened at once (0 counts as 1), so a
// search costs one decrypting pass shared between cores; the shards may read a write
// made meanwhile or not. Memory holds at most `limit` entries per shard.
// Only entries older than `before_id` count (0: all).
// Empty `words` or a zero `limit` is InvalidArgument; a record that does not open
// or parse is Corruption.
Result<SearchResult> SearchHistory(const store::SealedStore& store, std::string_view words,
                                   uint32_t limit, unsigned threads, uint64_t before_id = 0);

}  // namespace inmost::core
