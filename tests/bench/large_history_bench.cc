#include "tests/bench/large_history_bench.h"

#include <sodium.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string_view>

#include "daemon/core/history_search.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "tests/bench/bench_table.h"
#include "tests/bench/daemon_process.h"
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

// The daemon on the large history: start-up until it answers, memory, the last page.
void AddDaemonFigures(const std::string& inmostd, const std::string& data_dir,
                      const std::string& count, const std::string& ceiling, Figures& figures) {
  DaemonProcess daemon(inmostd, "large-history", data_dir);
  const auto start = Clock::now();
  daemon.Start();
  const double start_ms = Milliseconds(Clock::now() - start);
  const long rss_started = daemon.ResidentKiB(), anon_started = daemon.AnonymousKiB();

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
  fetch_page();
  const long rss_paged = daemon.ResidentKiB(), anon_paged = daemon.AnonymousKiB();
  const double page_ms = Median(kPageRuns, fetch_page).wall_ms;

  figures.Inmost("inmost: daemon start-up, " + count + " msgs (to first status reply)", "ms",
                 Better::kLower, start_ms, "", "files in page cache");
  figures.Inmost("inmost: resident memory after start, " + count + " msgs", "MiB", Better::kLower,
                 rss_started / 1024.0, "", "RssAnon " + MiB(anon_started));
  figures.Inmost("inmost: last 50 messages (history) p50, " + count + " msgs", "ms", Better::kLower,
                 page_ms, "");
  figures.Inmost("inmost: resident memory after last 50, " + count + " msgs", "MiB", Better::kLower,
                 rss_paged / 1024.0, "", "RssAnon " + MiB(anon_paged));

  control::Request search;
  search.mutable_search()->set_words(std::string(kRareWord));
  search.mutable_search()->set_limit(kSearchLimit);
  if (client.Call(search).ok()) {
    const double ms = Median(1, [&] { Check(client.Call(search).status(), "search"); }).wall_ms;
    figures.Inmost("inmost: search via daemon, " + count + " msgs, rare word", "ms", Better::kLower,
                   ms, ceiling, "goal <= 50 ms for 1M");
  }
  daemon.Stop();
}

}  // namespace

void MeasureLargeHistory(const std::string& inmostd, const std::string& build_dir,
                         uint64_t messages, Figures& figures) {
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
  AddDaemonFigures(inmostd, data_dir, count, ceiling, figures);
}

}  // namespace inmost::bench
