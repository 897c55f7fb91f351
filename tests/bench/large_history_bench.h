// scripts/bench's figures for a long history: search, start-up, memory, the last page
// and export of a daemon holding a million messages (or ten), beside the same work on
// its store and issue 24's goals. It asserts nothing about speed, and only ever reads
// the history it measures.
#pragma once

#include <cstdint>
#include <string>

#include "tests/bench/figures.h"

namespace inmost::bench {

// One repetition: builds (once, then reuses) a data directory of `messages` messages
// under `build_dir` and measures it, through the store directly, then through
// `inmostd` run on it; the primitives must have been measured before.
// Export, backup and compaction go through the whole history: only in the
// repetition `first`, so each is one sample.
void MeasureLargeHistory(const std::string& inmostd, const std::string& build_dir,
                         uint64_t messages, bool first, Figures& figures);

}  // namespace inmost::bench
