#include "tests/bench/history_store_bench.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "daemon/core/history_keys.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/leveldb_bridge.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "tests/bench/bench_table.h"
#include "tests/bench/daemon_process.h"
#include "tests/bench/primitives_bench.h"

namespace inmost::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kNewest = 50;
constexpr int kOpenRuns = 5;
constexpr int kNewestRuns = 30;
// Compaction follows forgetting one message in this many, spread over the years: under
// hidden keys they are spread over every table, as any forget of many messages is.
constexpr uint64_t kForgetOneIn = 100;
// A hidden LevelDB key: a class byte and a 16-byte keyed hash (key_layout.h).
constexpr uint64_t kHiddenKeyBytes = 17;
// A record's own key travels in the sealed value behind a 2-byte length.
constexpr uint64_t kKeyLengthBytes = 2;

double Milliseconds(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::unique_ptr<store::SealedStore> OpenStore(const std::filesystem::path& store_path,
                                              const std::filesystem::path& key_file) {
  auto key = store::LoadKeyFile(key_file);
  Check(key.status(), "read the storage key");
  auto opened = store::SealedStore::Open(store_path, std::move(*key), store::OpenMode::kExisting);
  Check(opened.status(), "open the large history");
  return std::move(*opened);
}

uint64_t BytesUnder(const std::filesystem::path& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) bytes += entry.file_size(ec);
  }
  return bytes;
}

// This process's peak resident memory since the last ResetOwnPeak(), in KiB.
void ResetOwnPeak() {
  std::ofstream("/proc/self/clear_refs") << "5";
}
long OwnPeakKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// A copy of the store `from` in the new directory `to`: LevelDB never changes a table
// once written, so tables are hard links (copies across filesystems); the rest
// (manifest, log, current) is copied.
void CopyStore(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  if (ec) Check(IoError("cannot create " + to.string()), "copy the store");
  for (const auto& entry : std::filesystem::directory_iterator(from)) {
    const auto target = to / entry.path().filename();
    const auto ext = entry.path().extension();
    if (ext == ".ldb" || ext == ".sst") {
      std::filesystem::create_hard_link(entry.path(), target, ec);
      if (!ec) continue;
    }
    std::filesystem::copy_file(entry.path(), target, ec);
    if (ec) Check(IoError("cannot copy " + entry.path().string()), "copy the store");
  }
}

// Compacts a copy of the store after forgetting one message in kForgetOneIn.
void AddCompactionFigures(const store::DataDir& dir, uint64_t messages, uint64_t store_bytes,
                          const std::string& count, Figures& figures) {
  const std::filesystem::path scratch = std::filesystem::temp_directory_path() /
                                        ("inmost-bench-compaction-" + std::to_string(getpid()));
  struct Remove {
    std::filesystem::path path;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } remove{scratch};
  CopyStore(dir.store_path(), scratch / "store");
  auto store = OpenStore(scratch / "store", dir.key_file_path());
  store::SealedStore::WriteBatch batch(*store);
  uint64_t forgotten = 0;
  for (uint64_t id = kForgetOneIn / 2; id <= messages; id += kForgetOneIn) {
    batch.Delete(core::HistoryKey(id));
    ++forgotten;
    if (batch.size() >= 10000) {
      Check(store->Write(batch, store::Durability::kLazy), "forget");
      batch.Clear();
    }
  }
  Check(store->Write(batch, store::Durability::kSynced), "forget");
  ResetOwnPeak();
  const auto start = Clock::now();
  Check(store->CompactPrefix(""), "compact the copy");
  const double seconds = Milliseconds(Clock::now() - start) / 1000.0;
  const long peak = OwnPeakKiB();
  store.reset();

  const std::string ceiling =
      "store: write the " + count + "-msg store once at the disk append rate";
  figures.Ceiling(ceiling, "s", Better::kLower,
                  static_cast<double>(store_bytes) / 1e6 / figures.MedianOf(kDiskAppend),
                  "its bytes / the disk append rate above");
  figures.Inmost("inmost: compact the whole store after forgetting 1 in " +
                     std::to_string(kForgetOneIn) + ", " + count + " msgs",
                 "s", Better::kLower, seconds, ceiling,
                 std::to_string(forgotten) + " forgotten; store " +
                     std::to_string(store_bytes >> 20) + " MiB, after " +
                     std::to_string(BytesUnder(scratch / "store") >> 20) + " MiB");
  figures.Inmost("inmost: peak resident memory of the compacting process, " + count + " msgs",
                 "MiB", Better::kLower, static_cast<double>(peak) / 1024.0, "",
                 "the bench itself, store open, LevelDB compacting");
}

}  // namespace

HistoryCeilings MeasureHistoryStore(const std::string& data_dir, uint64_t messages,
                                    const std::string& count, bool whole_passes, Figures& figures) {
  const store::DataDir dir(data_dir);
  HistoryCeilings names{
      "store: open the " + count + "-msg sealed store, read its counters",
      "store: read and open the newest 50 history records of " + count,
      "store: read and open every record of the " + count + "-msg store, as msgs/s"};

  std::vector<double> opens;
  std::unique_ptr<store::SealedStore> store;
  for (int i = 0; i < kOpenRuns; ++i) {
    store.reset();
    const auto start = Clock::now();
    store = OpenStore(dir.store_path(), dir.key_file_path());
    Check(store->Get(core::kCountersKey).status(), "read the counters");
    opens.push_back(Milliseconds(Clock::now() - start));
  }
  figures.Ceiling(names.open, "ms", Better::kLower, Percentile(opens, 0.5),
                  "median of " + std::to_string(kOpenRuns) + ", files in page cache");

  std::vector<double> newest;
  for (int i = 0; i < kNewestRuns; ++i) {
    const auto start = Clock::now();
    for (uint64_t id = messages - kNewest + 1; id <= messages; ++id) {
      Check(store->Get(core::HistoryKey(id)).status(), "read the newest records");
    }
    newest.push_back(Milliseconds(Clock::now() - start));
  }
  figures.Ceiling(names.newest, "ms", Better::kLower, Percentile(newest, 0.5),
                  "p50 of " + std::to_string(kNewestRuns) + ", one Get each");

  if (!whole_passes) return names;
  // One pass over every record: what an export or a backup must read at least, and
  // what the records would take with no LevelDB around them.
  uint64_t records = 0, sealed_bytes = 0;
  const auto start = Clock::now();
  Check(store->ForEachRecord([&](std::string_view key, std::string_view value) {
    ++records;
    sealed_bytes +=
        kHiddenKeyBytes + store::kSealOverhead + kKeyLengthBytes + key.size() + value.size();
    return true;
  }),
        "read every record");
  const double scan_s = Milliseconds(Clock::now() - start) / 1000.0;
  figures.Ceiling(names.scan, "msgs/s", Better::kHigher, static_cast<double>(messages) / scan_s,
                  std::to_string(records) + " records (ForEachRecord) in " +
                      std::to_string(static_cast<int>(scan_s * 1000)) + " ms, one core");
  store.reset();

  const uint64_t store_bytes = BytesUnder(dir.store_path());
  const uint64_t dir_bytes = BytesUnder(dir.root());
  const std::string sealed = "store: sealed records per message of " + count + " (keys + values)";
  figures.Ceiling(sealed, "B/msg", Better::kLower,
                  static_cast<double>(sealed_bytes) / static_cast<double>(messages),
                  "17 B key + nonce + tag + record; no LevelDB, no compression");
  figures.Inmost("inmost: disk per message, data directory of " + count + " msgs", "B/msg",
                 Better::kLower, static_cast<double>(dir_bytes) / static_cast<double>(messages),
                 sealed, std::to_string(dir_bytes >> 20) + " MiB in all");

  AddCompactionFigures(dir, messages, store_bytes, count, figures);
  return names;
}

}  // namespace inmost::bench
