// The ceiling model of durable delivery (issue 24): two processes on loopback TCP; the
// sender appends each record, sends it and fdatasyncs it (the receiver syncs its copy
// meanwhile) before the record counts as acknowledged; the receiver appends
// and fdatasyncs what it read (one sync covers every record read so far: group commit)
// before it acks. No crypto, no store: what inmost's delivery cannot beat on this disk.
// It measures; it asserts nothing about speed.
#pragma once

#include <cstddef>
#include <filesystem>

namespace inmost::bench {

struct ModelOutcome {
  double messages_per_second = 0;
  double p50_ms = 0;  // From the sender's append to the receiver's ack.
  double p99_ms = 0;
};

// Runs the model for about `seconds` with up to `in_flight` unacknowledged records of
// `record_bytes` each, its two files under `dir` (removed after).
ModelOutcome RunDurableModel(size_t record_bytes, int in_flight, double seconds,
                             const std::filesystem::path& dir);

// Appends `chunk_bytes` chunks to a new file under `dir`, one fdatasync every
// `chunks_per_sync`, `total_bytes` in all; the rate in MB/s: the disk's ceiling for
// a received file.
double DiskAppendMegabytesPerSecond(size_t chunk_bytes, int chunks_per_sync, size_t total_bytes,
                                    const std::filesystem::path& dir);

}  // namespace inmost::bench
