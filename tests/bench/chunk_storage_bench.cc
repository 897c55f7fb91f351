#include "tests/bench/chunk_storage_bench.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/file_cipher.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/store/blob_file.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "tests/bench/primitives_bench.h"

namespace inmost::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kChunksPerSync = 16;  // About what the recipient syncs at once.

// Bytes this process has caused to be written to disk so far (/proc/self/io).
uint64_t DiskWriteBytes() {
  std::ifstream io("/proc/self/io");
  std::string field;
  uint64_t value = 0;
  while (io >> field >> value) {
    if (field == "write_bytes:") return value;
  }
  return 0;
}

struct Outcome {
  double megabytes_per_second = 0;
  double disk_bytes_per_byte = 0;
};

template <typename Store, typename Sync>
Outcome Measure(uint64_t chunks, const std::string& chunk, Store store_chunk, Sync sync) {
  const uint64_t disk_before = DiskWriteBytes();
  const auto start = Clock::now();
  for (uint64_t i = 0; i < chunks; ++i) {
    store_chunk(i);
    if ((i + 1) % kChunksPerSync == 0) sync();
  }
  sync();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double bytes = static_cast<double>(chunks * chunk.size());
  return {bytes / seconds / 1e6, static_cast<double>(DiskWriteBytes() - disk_before) / bytes};
}

}  // namespace

void MeasureChunkStorage(uint64_t chunks, Figures& figures) {
  const auto dir = std::filesystem::temp_directory_path() / "inmost-bench-chunks";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  crypto::SecretBytes key = crypto::NewFileKey();
  const std::string chunk = crypto::SealChunk(key.span(), std::string(16, 'i'), 0, 1,
                                              std::string(crypto::kChunkSize, 'p'));
  const std::string size = std::to_string(chunks * crypto::kChunkSize >> 20) + " MiB";

  auto blob = store::BlobFile::Open(dir / "blob", true);
  if (blob.ok()) {
    Outcome outcome = Measure(
        chunks, chunk, [&](uint64_t i) { (void)(*blob)->WriteChunk(i, chunk); },
        [&] { (void)(*blob)->Sync(); });
    figures.Inmost("inmost: " + size + " of sealed chunks stored, blob folder (chosen)", "MB/s",
                   Better::kHigher, outcome.megabytes_per_second, kDiskAppend,
                   "fdatasync every 16 chunks");
    figures.Inmost("inmost: bytes written to disk per byte stored, blob", "x", Better::kLower,
                   outcome.disk_bytes_per_byte, "");
  }

  auto db = store::SealedStore::Open(dir / "store", crypto::SecretBytes::Random(32),
                                     store::OpenMode::kCreate);
  if (db.ok()) {
    std::optional<store::SealedStore::WriteBatch> batch;
    batch.emplace(**db);
    const uint64_t disk_before = DiskWriteBytes();
    Outcome outcome = Measure(
        chunks, chunk,
        [&](uint64_t i) { batch->Put("c/" + std::to_string(i), crypto::AsBytes(chunk)); },
        [&] {
          (void)(*db)->Write(*batch);
          batch.emplace(**db);
        });
    // Compaction rewrites the values later: that is disk traffic too.
    (void)(*db)->CompactPrefix("c/");
    const double stored = static_cast<double>(chunks * chunk.size());
    figures.Inmost("inmost: " + size + " of sealed chunks stored, LevelDB values (not used)",
                   "MB/s", Better::kHigher, outcome.megabytes_per_second, kDiskAppend,
                   "one synced batch every 16 chunks, sealed again by the store");
    figures.Inmost("inmost: bytes written to disk per byte stored, LevelDB", "x", Better::kLower,
                   static_cast<double>(DiskWriteBytes() - disk_before) / stored, "",
                   "log, tables and one compaction");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace inmost::bench
