// scripts/bench's figures for where a received file's sealed chunks are kept (issue 7):
// the blob folder inmost uses (store/blob_file.h) against the same chunks as values
// in the sealed LevelDB store, each synced in groups as the recipient syncs them,
// with the bytes each writes to disk, beside the disk's synced appends. It asserts nothing about
// speed.
#pragma once

#include <cstdint>

#include "tests/bench/figures.h"

namespace inmost::bench {

// One repetition: `chunks` sealed chunks into each store.
void MeasureChunkStorage(uint64_t chunks, Figures& figures);

}  // namespace inmost::bench
