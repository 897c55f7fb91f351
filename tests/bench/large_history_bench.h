// scripts/bench's rows for a long history: search, start-up, memory and the last
// page of a daemon holding a million messages, beside the raw AEAD rate. It
// asserts nothing about speed, and only ever reads the history it measures.
#pragma once

#include <string>
#include <vector>

#include "tests/bench/bench_table.h"

namespace inmost::bench {

// Builds (or reuses) a million-message data directory under `build_dir` and
// measures it, first through the store directly, then through `inmostd` run on it.
std::vector<Row> LargeHistoryRows(const std::string& inmostd, const std::string& build_dir);

}  // namespace inmost::bench
