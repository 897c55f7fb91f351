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
#include "tests/bench/daemon_process.h"
#include "tests/bench/large_history.h"

namespace inmost::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kMessages = 1'000'000;
constexpr uint32_t kPageSize = 50;
constexpr uint32_t kSearchLimit = 50;
constexpr int kSearchRuns = 3;
constexpr int kPageRuns = 100;
constexpr size_t kAeadMessageBytes = 100;
constexpr int kAeadOpens = 300'000;

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

// Raw XChaCha20-Poly1305 opens per second on one core, with an AD the size of a
// history key: what one decrypting pass over the history cannot beat.
double AeadOpenRate() {
  std::vector<uint8_t> key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, 7);
  std::vector<uint8_t> nonce(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, 3);
  std::vector<uint8_t> ad(10, 'h');
  std::vector<uint8_t> plain(kAeadMessageBytes, 'x');
  std::vector<uint8_t> sealed(kAeadMessageBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data(), nullptr, plain.data(), plain.size(),
                                             ad.data(), ad.size(), nullptr, nonce.data(),
                                             key.data());
  const auto start = Clock::now();
  for (int i = 0; i < kAeadOpens; ++i) {
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), nullptr, nullptr, sealed.data(),
                                                   sealed.size(), ad.data(), ad.size(),
                                                   nonce.data(), key.data()) != 0) {
      Check(Corruption("a sealed test message did not open"), "AEAD rate");
    }
  }
  return kAeadOpens / std::chrono::duration<double>(Clock::now() - start).count();
}

// SearchHistory straight on the store (the daemon must not hold it): median times
// for a rare and a common word, on one core and on two.
void AddStoreSearchRows(const std::string& data_dir, std::vector<Row>& rows) {
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
      const Timing timing = Median(kSearchRuns, [&] {
        auto result = core::SearchHistory(store, word, kSearchLimit, threads);
        Check(result.status(), "search");
        last = std::move(*result);
      });
      const bool rare = word == kRareWord;
      rows.push_back({std::string("search 1M msgs, ") + (rare ? "rare" : "common") + " word, " +
                          std::to_string(threads) + (threads == 1 ? " thread" : " threads"),
                      timing.wall_ms, "ms",
                      "target < 1000; CPU " + std::to_string(static_cast<int>(timing.cpu_ms)) +
                          " ms; " + std::to_string(last.matches.size()) + (last.more ? "+" : "") +
                          " matches in " + std::to_string(last.searched)});
    }
  }
}

// The daemon on the large history: start-up until it answers, memory, the last page.
void AddDaemonRows(const std::string& inmostd, const std::string& data_dir,
                   std::vector<Row>& rows) {
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

  rows.push_back({"daemon start-up, 1M msgs (to first status reply)", start_ms, "ms",
                  "target < 1000; files in page cache"});
  rows.push_back({"resident memory after start, 1M msgs", rss_started / 1024.0, "MiB",
                  "target < 64; RssAnon " + MiB(anon_started)});
  rows.push_back({"last 50 messages (history) p50, 1M msgs", page_ms, "ms", "target < 1"});
  rows.push_back({"resident memory after last 50, 1M msgs", rss_paged / 1024.0, "MiB",
                  "target < 64; RssAnon " + MiB(anon_paged)});

  // Through the control socket too, once the daemon serves searches.
  control::Request search;
  search.mutable_search()->set_words(std::string(kRareWord));
  search.mutable_search()->set_limit(kSearchLimit);
  if (client.Call(search).ok()) {
    const double ms =
        Median(kSearchRuns, [&] { Check(client.Call(search).status(), "search"); }).wall_ms;
    rows.push_back({"search via daemon, 1M msgs, rare word", ms, "ms", "target < 1000"});
    rows.push_back({"resident memory after searches, 1M msgs", daemon.ResidentKiB() / 1024.0, "MiB",
                    "target < 64; RssAnon " + MiB(daemon.AnonymousKiB())});
  }
  daemon.Stop();
}

}  // namespace

std::vector<Row> LargeHistoryRows(const std::string& inmostd, const std::string& build_dir) {
  const std::string data_dir =
      LargeHistoryDataDir(inmostd, std::filesystem::path(build_dir) / "bench-history", kMessages);
  std::vector<Row> rows;
  const double aead = AeadOpenRate();
  rows.push_back({"raw XChaCha20-Poly1305 open, 100 B", aead, "msgs/s",
                  "ceiling; 1M opens on one core: " +
                      std::to_string(static_cast<int>(1000.0 * kMessages / aead)) + " ms"});
  AddStoreSearchRows(data_dir, rows);
  AddDaemonRows(inmostd, data_dir, rows);
  return rows;
}

}  // namespace inmost::bench
