// scripts/bench's ceilings made of primitives (issue 24): the one-core rates of the
// crypto inmost uses (libsodium), a synced LevelDB batch, the disk's synced appends,
// and the ceilings derived from them (a Noise KK handshake's primitives per side; a
// file's min(seal, disk)). It measures; it asserts nothing about speed.
#pragma once

#include <filesystem>

#include "tests/bench/figures.h"

namespace inmost::bench {

// The names other sections give as their ceilings.
inline constexpr char kKkPrimitivesMs[] = "primitive: Noise KK primitives per side (derived)";
inline constexpr char kXSeal256[] = "primitive: XChaCha20-Poly1305 seal, 256 B";
inline constexpr char kXOpen256[] = "primitive: XChaCha20-Poly1305 open, 256 B";
inline constexpr char kXOpen100[] = "primitive: XChaCha20-Poly1305 open, 100 B";
inline constexpr char kSeal64KiB[] = "primitive: ChaCha20-Poly1305 IETF seal, 64 KiB";
inline constexpr char kDiskAppend[] = "model: disk append 64 KiB chunks, fdatasync per MiB";
inline constexpr char kFileCeiling[] = "model: file ceiling min(seal 64 KiB, disk append)";
inline constexpr char kLevelDbBatch[] = "primitive: LevelDB synced batch of 100, 296 B values";

struct PrimitiveBudget {
  double seconds_per_rate;  // How long each crypto rate runs.
  size_t disk_bytes;        // How much the disk append writes.
  int leveldb_batches;      // Synced batches of 100.
};

// Adds one repetition of every primitive's rate, and of the derived ceilings, to
// `figures`; scratch files go under `dir`.
void MeasurePrimitives(const PrimitiveBudget& budget, const std::filesystem::path& dir,
                       Figures& figures);

}  // namespace inmost::bench
