// scripts/bench: measures inmost against this machine's ceilings and prints one table,
// each of inmost's figures beside the model or primitive that bounds it, with the
// ratio. It is a benchmark, not a test: it asserts nothing about speed.
//
// usage: inmost_bench [all|link|files|history|model|sweep] [--quick] [--json [PATH|-]]
//                     [--repetitions N] [--in-flight 1,4,16,...] [--messages N]
//   all      the ceilings (primitives, the durable model), then link, files, history
//   link     the ceilings, then two paired daemons on loopback
//   files    the ceilings, then a file between two daemons and chunk storage
//   history  the ceilings, then a daemon holding a long history
//   model    the ceilings only
//   sweep    durable msgs/s of the model and of inmost at each --in-flight (the plot)
//   --quick  about a minute: smaller file and history, shorter runs, 2 repetitions
//   --messages  how many messages the long history holds (default 1,000,000; --quick
//            100,000); each size is built once and kept, 10 M takes 3.1 GB
//   --json   also writes the figures as JSON to PATH, or to standard output ("-", the
//            default; the table then goes to standard error)
// INMOST_BENCH_TINY=1 shrinks --quick further (tests/integration/test_bench_json.py);
// INMOST_BENCH_CACHE is where the long history is kept (default: the build directory).
// Scratch files go under $TMPDIR.
//
// Every figure is the median of its repetitions (3 by default) with their spread.
// The JSON (schema "inmost-bench/1"):
//   {"schema": "inmost-bench/1",
//    "machine": {"cores", "cpu", "kernel", "tmp_filesystem", "load_before", "load_after",
//                "quick", "repetitions", "seconds"},
//    "figures": [{"name", "kind": "ceiling"|"inmost", "unit", "better": "higher"|"lower",
//                 "value" (= "median"), "median", "spread": {"min", "max"}, "samples": [..],
//                 "repetitions", "ceiling" (the bounding figure's median, or null),
//                 "ceiling_name" (its name, or null), "ratio" (value / ceiling, or null),
//                 "in_flight" (for durable rates, else null), "note"}]}
// The ratio is always value / ceiling: for rates ("better": "higher") 1 is the
// ceiling reached, for times ("better": "lower") 1 is the ceiling and more is slower.
// Names start with "primitive:" or "model:" (ceilings), "store:" (ceilings measured on
// a stopped daemon's store itself), "goal:" (issue 24's goals, not measured), "inmost:"
// or "bot:".
#include <sodium.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/chunk_storage_bench.h"
#include "tests/bench/figures.h"
#include "tests/bench/files_bench.h"
#include "tests/bench/large_history_bench.h"
#include "tests/bench/link_bench.h"
#include "tests/bench/primitives_bench.h"

namespace inmost::bench {
namespace {

struct Options {
  std::string section = "all";
  bool quick = false;
  bool tiny = false;
  std::string json;  // Empty: no JSON.
  int repetitions = 0;
  uint64_t history_messages = 0;  // 0: the budget's.
  std::vector<int> in_flight = {1, 4, 16, 64, 256, 512};
};

struct Budget {
  int repetitions;
  PrimitiveBudget primitives;
  LinkBudget link;
  size_t file_mib;
  uint64_t chunks;
  uint64_t history_messages;
};

Budget BudgetFor(const Options& o) {
  // Sends in flight for the headline rate: 4 connections of 128, as before issue 24.
  constexpr int kPipelined = 512;
  if (o.tiny) return {1, {0.01, 4 << 20, 5}, {5, 0.3, 0.3, kPipelined}, 4, 32, 10'000};
  if (o.quick) return {2, {0.04, 16 << 20, 20}, {40, 1.0, 0.5, kPipelined}, 32, 128, 100'000};
  return {3, {0.2, 128 << 20, 100}, {200, 4.0, 2.0, kPipelined}, 256, 1024, 1'000'000};
}

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

bool IsSection(const std::string& s) {
  for (const char* name : {"all", "link", "files", "history", "model", "sweep"}) {
    if (s == name) return true;
  }
  return false;
}

bool Parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_next = i + 1 < argc;
    if (IsSection(arg)) {
      o.section = arg;
    } else if (arg == "--quick") {
      o.quick = true;
    } else if (arg == "--json") {
      const bool path = has_next && !IsSection(argv[i + 1]) &&
                        (argv[i + 1][0] != '-' || std::string(argv[i + 1]) == "-");
      o.json = path ? argv[++i] : "-";
    } else if (arg.rfind("--json=", 0) == 0) {
      o.json = arg.substr(7);
    } else if (arg == "--repetitions" && has_next) {
      o.repetitions = std::atoi(argv[++i]);
      if (o.repetitions < 1) return false;
    } else if (arg == "--messages" && has_next) {
      const long long messages = std::atoll(argv[++i]);
      if (messages < 100) return false;  // A full last page and a few of each word.
      o.history_messages = static_cast<uint64_t>(messages);
    } else if (arg == "--in-flight" && has_next) {
      o.in_flight = ParseList(argv[++i]);
      for (int n : o.in_flight) {
        if (n < 1) return false;
      }
    } else {
      return false;
    }
  }
  const char* tiny = std::getenv("INMOST_BENCH_TINY");
  o.tiny = tiny != nullptr && std::string(tiny) == "1";
  return !o.in_flight.empty();
}

std::string FirstLine(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      const size_t colon = line.find(':');
      return colon == std::string::npos ? line
                                        : line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", one);
  return text;
}

std::string TmpFilesystem() {
  // The filesystem of the temporary directory, where every synced file goes.
  std::ifstream mounts("/proc/mounts");
  const std::string tmp = std::filesystem::temp_directory_path().string();
  std::string device, mount, type, best_type;
  size_t best = 0;
  std::string rest;
  while (mounts >> device >> mount >> type && std::getline(mounts, rest)) {
    if (tmp.rfind(mount, 0) == 0 && mount.size() >= best) {
      best = mount.size();
      best_type = type;
    }
  }
  return best_type;
}

}  // namespace
}  // namespace inmost::bench

int main(int argc, char** argv) {
  using namespace inmost::bench;
  Options options;
  if (!Parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: inmost_bench [all|link|files|history|model|sweep] [--quick] "
                 "[--json [PATH|-]] [--repetitions N] [--in-flight 1,4,16,...] "
                 "[--messages N]\n");
    return 2;
  }
  if (sodium_init() < 0) return 1;
  options.quick = options.quick || options.tiny;
  Budget budget = BudgetFor(options);
  if (options.repetitions > 0) budget.repetitions = options.repetitions;
  if (options.history_messages > 0) budget.history_messages = options.history_messages;
  const std::string inmostd = std::string(INMOST_BUILD_DIR) + "/daemon/inmostd";
  const std::string load_before = LoadAverage();
  const auto started = std::chrono::steady_clock::now();
  const std::string& s = options.section;
  const auto scratch = std::filesystem::temp_directory_path() /
                       ("inmost-bench-primitives-" + std::to_string(getpid()));
  Figures figures;
  for (int r = 0; r < budget.repetitions; ++r) {
    std::cerr << "bench: " << (s == "sweep" ? "sweep" : "ceilings") << ", repetition " << r + 1
              << " of " << budget.repetitions << "\n";
    if (s == "sweep") {
      MeasureSweep(inmostd, budget.link, options.in_flight, figures);
      continue;
    }
    MeasurePrimitives(budget.primitives, scratch, figures);
    MeasureModel(budget.link, figures);
  }
  for (int r = 0; r < budget.repetitions && s != "sweep" && s != "model"; ++r) {
    std::cerr << "bench: inmost, repetition " << r + 1 << " of " << budget.repetitions << "\n";
    if (s == "all" || s == "link") MeasureLink(inmostd, budget.link, figures);
    if (s == "all" || s == "files") {
      MeasureFile(inmostd, budget.file_mib, figures);
      MeasureChunkStorage(budget.chunks, figures);
    }
    if (s == "all" || s == "history") {
      const char* cache = std::getenv("INMOST_BENCH_CACHE");
      MeasureLargeHistory(inmostd, cache != nullptr ? cache : INMOST_BUILD_DIR,
                          budget.history_messages, r == 0, figures);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  utsname un{};
  uname(&un);
  const std::string machine =
      std::string("{\"cores\": ") + std::to_string(std::thread::hardware_concurrency()) +
      ", \"cpu\": " + JsonString(FirstLine("/proc/cpuinfo", "model name")) +
      ", \"kernel\": " + JsonString(std::string(un.sysname) + " " + un.release) +
      ", \"tmp_filesystem\": " + JsonString(TmpFilesystem()) + ", \"load_before\": " + load_before +
      ", \"load_after\": " + LoadAverage() + ", \"quick\": " + (options.quick ? "true" : "false") +
      ", \"repetitions\": " + std::to_string(budget.repetitions) +
      ", \"seconds\": " + std::to_string(static_cast<int>(seconds)) + "}";
  const bool json_to_stdout = options.json == "-";
  figures.Print(json_to_stdout ? stderr : stdout);
  std::fprintf(json_to_stdout ? stderr : stdout,
               "(%d repetitions in %.0f s; load average %s before, %s after)\n", budget.repetitions,
               seconds, load_before.c_str(), LoadAverage().c_str());
  if (json_to_stdout) {
    std::fputs(figures.Json(machine).c_str(), stdout);
  } else if (!options.json.empty()) {
    std::ofstream out(options.json);
    out << figures.Json(machine);
    if (!out) {
      std::fprintf(stderr, "bench: cannot write %s\n", options.json.c_str());
      return 1;
    }
  }
  return 0;
}
