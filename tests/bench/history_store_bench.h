// scripts/bench's figures of a long history read straight from its sealed store, with
// no daemon: the ceilings of start-up, the last page and export, the disk it takes per
// message, and a whole-store compaction. It never changes the history it measures:
// compaction runs on a copy (hard links to the immutable tables) that it removes.
#pragma once

#include <cstdint>
#include <string>

#include "tests/bench/figures.h"

namespace inmost::bench {

// The ceilings the daemon's figures of a long history face, by name.
struct HistoryCeilings {
  std::string open;    // ms: open the sealed store (LevelDB, key, counters).
  std::string newest;  // ms: read and open the newest 50 history records.
  std::string scan;    // msgs/s: read and open every record, one pass.
};

// One repetition of the store's own figures for the history of `messages` messages in
// the stopped daemon's `data_dir`; `count` names the size ("10M"). The passes over the
// whole history (a read of every record, a compaction) only when `whole_passes`: once
// per run keeps a run of 10 M within reach. Scratch copies go under the temporary
// directory.
HistoryCeilings MeasureHistoryStore(const std::string& data_dir, uint64_t messages,
                                    const std::string& count, bool whole_passes, Figures& figures);

}  // namespace inmost::bench
