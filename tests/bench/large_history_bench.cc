#include "tests/bench/large_history_bench.h"

#include <sodium.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <system_error>
#include <thread>

#include "daemon/core/history_search.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "tests/bench/bench_table.h"
#include "tests/bench/daemon_process.h"
#include "tests/bench/history_store_bench.h"
#include "tests/bench/large_history.h"
#include "tests/bench/primitives_bench.h"

namespace inmost::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kPageSize = 50;
constexpr uint32_t kSearchLimit = 50;
constexpr int kPageRuns = 30;

double Milliseconds(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double CpuMilliseconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

// The median times of `runs` calls of `fn`, in milliseconds: on the clock, and of
// this process's CPU (all its threads), which a busy machine does not inflate.
struct Timing {
  double wall_ms;
  double cpu_ms;
};
Timing Median(int runs, const std::function<void()>& fn) {
  std::vector<double> wall, cpu;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    const double cpu_start = CpuMilliseconds();
    fn();
    cpu.push_back(CpuMilliseconds() - cpu_start);
    wall.push_back(Milliseconds(Clock::now() - start));
  }
  return {Percentile(wall, 0.5), Percentile(cpu, 0.5)};
}

std::string MiB(long kib) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return text;
}

// SearchHistory straight on the store (the daemon must not hold it): median times
// for a rare and a common word, on one core and on two.
void AddStoreSearchFigures(const std::string& data_dir, const std::string& count,
                           const std::string& ceiling, Figures& figures) {
  store::DataDir dir(data_dir);
  auto key = store::LoadKeyFile(dir.key_file_path());
  Check(key.status(), "read the storage key");
  auto opened =
      store::SealedStore::Open(dir.store_path(), std::move(*key), store::OpenMode::kExisting);
  Check(opened.status(), "open the large history");
  const store::SealedStore& store = **opened;
  // One pass first, so that every timed run finds the files in the page cache.
  Check(core::SearchHistory(store, kRareWord, kSearchLimit, 2).status(), "search");
  for (std::string_view word : {kRareWord, kCommonWord}) {
    for (unsigned threads : {1u, 2u}) {
      core::SearchResult last;
      const Timing timing = Median(1, [&] {
        auto result = core::SearchHistory(store, word, kSearchLimit, threads);
        Check(result.status(), "search");
        last = std::move(*result);
      });
      const bool rare = word == kRareWord;
      figures.Inmost("inmost: search " + count + " msgs, " + (rare ? "rare" : "common") +
                         " word, " + std::to_string(threads) +
                         (threads == 1 ? " thread" : " threads"),
                     "ms", Better::kLower, timing.wall_ms, ceiling,
                     "CPU " + std::to_string(static_cast<int>(timing.cpu_ms)) + " ms; " +
                         std::to_string(last.matches.size()) + (last.more ? "+" : "") +
                         " matches in " + std::to_string(last.searched));
    }
  }
}

// The goals, printed as ceilings so that each figure shows how far it is.
struct Goals {
  std::string search;
  std::string idle_memory;
  std::string load_memory;
};
Goals AddGoals(uint64_t messages, const std::string& count, Figures& figures) {
  Goals goals{"goal: search of " + count + " msgs (issue 24)", "goal: idle resident memory",
              "goal: resident memory under full load"};
  // At most 50 ms over a million messages, and at most 100 ms over ten million.
  figures.Ceiling(goals.search, "ms", Better::kLower, messages <= 1'000'000 ? 50.0 : 100.0,
                  "<= 50 ms for 1M, <= 100 ms over 10M");
  figures.Ceiling(goals.idle_memory, "MiB", Better::kLower, 8.0, "issue 24: <= 8 MiB");
  figures.Ceiling(goals.load_memory, "MiB", Better::kLower, 32.0, "issue 24: <= 32 MiB");
  return goals;
}

double Mebibytes(long kib) {
  return static_cast<double>(kib) / 1024.0;
}

// Pages through the whole history, newest first, as `inmost export` asks for it;
// returns the messages read.
uint64_t ExportPages(Client& client) {
  constexpr uint32_t kExportPage = 1000;  // The daemon's largest page, as the CLI asks.
  uint64_t before_id = 0, read = 0;
  while (true) {
    control::Request request;
    request.mutable_history()->set_limit(kExportPage);
    request.mutable_history()->set_before_id(before_id);
    auto reply = client.Call(request);
    Check(reply.status(), "export");
    const control::HistoryReply& page = reply->history();
    read += static_cast<uint64_t>(page.messages_size());
    if (!page.more() || page.messages_size() == 0) break;
    // Ids are message numbers, each side's own odd or even run: they do not grow with
    // the history's order, so only a page that starts where the last did is stuck.
    if (page.messages(0).id() == before_id) break;
    before_id = page.messages(0).id();
  }
  return read;
}

// Export through the daemon, both ways it offers: the history in pages (what `inmost
// export` reads before it formats) and a Backup request (a sealed archive), each as
// messages per second beside one pass over the store, with the daemon's peak memory.
void AddExportFigures(DaemonProcess& daemon, Client& client, uint64_t messages,
                      const std::string& count, const std::string& scan, const Goals& goals,
                      Figures& figures) {
  daemon.ResetPeakResident();
  uint64_t read = 0;
  const double export_ms = Median(1, [&] { read = ExportPages(client); }).wall_ms;
  const long export_peak = daemon.PeakResidentKiB();
  if (read != messages) {
    Check(Corruption("the export read " + std::to_string(read) + " of " + std::to_string(messages) +
                     " messages"),
          "export");
  }
  figures.Inmost("inmost: export via daemon, history pages of 1000, " + count + " msgs", "msgs/s",
                 Better::kHigher, static_cast<double>(read) / (export_ms / 1000.0), scan,
                 std::to_string(static_cast<int>(export_ms)) + " ms for " + std::to_string(read));
  figures.Inmost("inmost: peak resident memory during export, " + count + " msgs", "MiB",
                 Better::kLower, Mebibytes(export_peak), goals.load_memory);

  const std::filesystem::path archive =
      std::filesystem::temp_directory_path() / ("inmost-bench-backup-" + std::to_string(getpid()));
  control::Request backup;
  backup.mutable_backup()->set_path(archive.string());
  backup.mutable_backup()->set_passphrase("bench passphrase");
  daemon.ResetPeakResident();
  uint64_t bytes = 0;
  const double backup_ms = Median(1, [&] {
                             auto reply = client.Call(backup);
                             std::error_code ec;
                             std::filesystem::remove(archive, ec);
                             Check(reply.status(), "backup");
                             bytes = reply->backup().bytes();
                           }).wall_ms;
  const long backup_peak = daemon.PeakResidentKiB();
  char note[96];
  std::snprintf(note, sizeof note, "%.0f ms, archive %.0f MiB, %.1f MB/s (Argon2id included)",
                backup_ms, static_cast<double>(bytes) / 1048576.0,
                static_cast<double>(bytes) / 1e3 / backup_ms);
  figures.Inmost("inmost: backup via daemon (sealed archive), " + count + " msgs", "msgs/s",
                 Better::kHigher, static_cast<double>(messages) / (backup_ms / 1000.0), scan, note);
  figures.Inmost("inmost: peak resident memory during backup, " + count + " msgs", "MiB",
                 Better::kLower, Mebibytes(backup_peak), goals.load_memory,
                 "Argon2id interactive takes 64 MiB of it");
}

// The daemon on the large history: start-up until it answers, memory, the last page,
// search, and (when `whole_passes`) export.
void AddDaemonFigures(const std::string& inmostd, const std::string& data_dir, uint64_t messages,
                      const std::string& count, const std::string& opens,
                      const HistoryCeilings& store, bool whole_passes, Figures& figures) {
  const Goals goals = AddGoals(messages, count, figures);
  DaemonProcess daemon(inmostd, "large-history", data_dir);
  const auto start = Clock::now();
  daemon.Start();
  const double start_ms = Milliseconds(Clock::now() - start);
  const long rss_started = daemon.ResidentKiB(), anon_started = daemon.AnonymousKiB();
  const long peak_started = daemon.PeakResidentKiB();

  Client client = daemon.Connect();
  control::Request page;
  page.mutable_history()->set_limit(kPageSize);
  auto fetch_page = [&] {
    auto reply = client.Call(page);
    Check(reply.status(), "history");
    if (reply->history().messages_size() != static_cast<int>(kPageSize)) {
      Check(Corruption("the last page is not full"), "history");
    }
  };
  daemon.ResetPeakResident();
  fetch_page();
  const long rss_paged = daemon.ResidentKiB(), anon_paged = daemon.AnonymousKiB();
  const double page_ms = Median(kPageRuns, fetch_page).wall_ms;
  const long peak_paged = daemon.PeakResidentKiB();

  figures.Inmost("inmost: daemon start-up, " + count + " msgs (to first status reply)", "ms",
                 Better::kLower, start_ms, store.open, "files in page cache");
  figures.Inmost("inmost: resident memory after start, " + count + " msgs", "MiB", Better::kLower,
                 Mebibytes(rss_started), goals.idle_memory,
                 "RssAnon " + MiB(anon_started) + "; peak during start " + MiB(peak_started));
  figures.Inmost("inmost: last 50 messages (history) p50, " + count + " msgs", "ms", Better::kLower,
                 page_ms, store.newest);
  figures.Inmost("inmost: resident memory after last 50, " + count + " msgs", "MiB", Better::kLower,
                 Mebibytes(rss_paged), goals.idle_memory,
                 "RssAnon " + MiB(anon_paged) + "; peak during pages " + MiB(peak_paged));

  // A history written straight into the store has no word index: the daemon builds it
  // in the background on its first start (searches read the whole history until then).
  {
    control::Request probe;
    probe.mutable_search()->set_words(std::string(kRareWord));
    probe.mutable_search()->set_limit(1);
    const auto asked = Clock::now();
    daemon.ResetPeakResident();
    bool indexed = false;
    while (!indexed && Clock::now() - asked < std::chrono::hours(2)) {
      auto reply = client.Call(probe);
      Check(reply.status(), "search");
      indexed = reply->search().indexed();
      if (!indexed) std::this_thread::sleep_for(std::chrono::seconds(1));  // Polls, a bench.
    }
    const double built_ms = Milliseconds(Clock::now() - asked);
    if (!indexed) Check(Unavailable("the word index was not built within two hours"), "search");
    if (built_ms > 1000) {
      figures.Inmost(
          "inmost: word index built, " + count + " msgs", "ms", Better::kLower, built_ms, opens,
          "after start, searches polled each second; peak RSS " + MiB(daemon.PeakResidentKiB()));
    }
  }
  for (std::string_view word : {kRareWord, kCommonWord}) {
    control::Request search;
    search.mutable_search()->set_words(std::string(word));
    search.mutable_search()->set_limit(kSearchLimit);
    if (!client.Call(search).ok()) continue;
    daemon.ResetPeakResident();
    const double ms = Median(1, [&] { Check(client.Call(search).status(), "search"); }).wall_ms;
    const long peak = daemon.PeakResidentKiB();
    const std::string which = word == kRareWord ? "rare" : "common";
    figures.Inmost("inmost: search via daemon, " + count + " msgs, " + which + " word", "ms",
                   Better::kLower, ms, goals.search,
                   "peak RSS " + MiB(peak) + "; " + opens + ": " +
                       std::to_string(static_cast<int>(figures.MedianOf(opens))) + " ms");
  }
  if (whole_passes) AddExportFigures(daemon, client, messages, count, store.scan, goals, figures);
  daemon.Stop();
}

}  // namespace

void MeasureLargeHistory(const std::string& inmostd, const std::string& build_dir,
                         uint64_t messages, bool first, Figures& figures) {
  const std::string cache =
      messages == 1'000'000 ? "bench-history" : "bench-history-" + std::to_string(messages);
  const std::string data_dir =
      LargeHistoryDataDir(inmostd, std::filesystem::path(build_dir) / cache, messages);
  const std::string count = messages % 1'000'000 == 0 ? std::to_string(messages / 1'000'000) + "M"
                            : messages % 1000 == 0    ? std::to_string(messages / 1000) + "k"
                                                      : std::to_string(messages);
  // One pass of opens over the whole history on one core bounds every search of it.
  const std::string ceiling = "primitive: " + count + " XChaCha20-Poly1305 opens of 100 B";
  figures.Ceiling(ceiling, "ms", Better::kLower,
                  1000.0 * static_cast<double>(messages) / figures.MedianOf(kXOpen100),
                  "one core, from the rate above");
  AddStoreSearchFigures(data_dir, count, ceiling, figures);
  const HistoryCeilings store = MeasureHistoryStore(data_dir, messages, count, first, figures);
  AddDaemonFigures(inmostd, data_dir, messages, count, ceiling, store, first, figures);
}

}  // namespace inmost::bench
