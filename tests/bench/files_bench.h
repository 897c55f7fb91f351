// scripts/bench's figures for files (issue 7): a file between two daemons on loopback,
// durable at the receiver, beside min(ChaCha20-Poly1305 rate, disk append rate); the
// latency of texts sent during the transfer; each daemon's peak resident memory.
// It asserts nothing about speed.
#pragma once

#include <string>
#include <vector>

#include "tests/bench/figures.h"

namespace inmost::bench {

// One repetition: a new pair of daemons moves a `file_mib` MiB file.
void MeasureFile(const std::string& inmostd, size_t file_mib, Figures& figures);

}  // namespace inmost::bench
