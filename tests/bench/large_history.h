// A data directory whose history holds a long conversation, for the benchmark:
// written straight into the sealed store (far faster than sending it) and cached
// between runs. It never writes into a directory it did not make.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace inmost::bench {

// A word about one message in eight holds, and one that about one in twenty
// thousand does: a search for each bounds the cost of keeping matches.
inline constexpr std::string_view kCommonWord = "tonight";
inline constexpr std::string_view kRareWord = "zeppelin";

// The initialized data directory, under `cache_root`, of a daemon whose history
// holds `messages` messages over two years: alternating runs of both directions,
// 20-200 byte texts, all delivered and nearly all read, with consistent counters.
// The same every time (a fixed seed) but for the times, which end at the build.
// Built when absent or left by another version of this builder, else reused;
// progress goes to standard error.
std::string LargeHistoryDataDir(const std::string& inmostd, const std::filesystem::path& cache_root,
                                uint64_t messages);

}  // namespace inmost::bench
