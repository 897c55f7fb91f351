// scripts/bench's rows for files (issue 7): a 256 MiB file between two daemons on
// loopback, durable at the receiver, beside the raw ChaCha20-Poly1305 rate; the
// latency of texts sent during the transfer; each daemon's peak resident memory.
// It asserts nothing about speed.
#pragma once

#include <string>
#include <vector>

#include "tests/bench/bench_table.h"

namespace inmost::bench {

std::vector<Row> FileRows(const std::string& inmostd);

}  // namespace inmost::bench
