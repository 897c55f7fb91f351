// scripts/bench's rows for where a received file's sealed chunks are kept (issue 7):
// the blob folder inmost uses (store/blob_file.h) against the same chunks as values
// in the sealed LevelDB store, each synced in groups as the recipient syncs them,
// with the bytes each writes to disk. It asserts nothing about speed.
#pragma once

#include <vector>

#include "tests/bench/bench_table.h"

namespace inmost::bench {

std::vector<Row> ChunkStorageRows();

}  // namespace inmost::bench
