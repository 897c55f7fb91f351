#include "tests/bench/large_history.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <random>
#include <system_error>

#include "daemon/core/history_keys.h"
#include "daemon/crypto/bytes.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/message_number.h"
#include "daemon/store/record_key.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "proto/records.pb.h"
#include "tests/bench/daemon_process.h"

namespace inmost::bench {
namespace {

using records::HistoryEntry;

// Bump when what the builder writes changes, so that older caches are rebuilt.
constexpr int kBuilderVersion = 2;  // 2: message numbers (schema 2).
constexpr uint64_t kSeed = 20240611;
// The cache's own marker: a directory without it was not made here.
constexpr char kMarkerFile[] = "large-history";
constexpr char kBuildingMarker[] = "building\n";
constexpr uint64_t kEntriesPerBatch = 20000;
constexpr int64_t kSpanMs = int64_t{2} * 365 * 24 * 3600 * 1000;
constexpr size_t kMinTextBytes = 20;
constexpr size_t kMaxTextBytes = 200;
constexpr uint64_t kRareOneIn = 20000;
constexpr uint64_t kLongestRun = 4;   // Messages in a row from one side.
constexpr uint64_t kUnreadAtEnd = 5;  // The newest few are delivered, not yet read.
constexpr int64_t kMaxTransitMs = 3000;

// Everyday words. About twenty make a text, so any one of them (kCommonWord among
// them) is in about one text in eight.
constexpr std::array<std::string_view, 150> kWords = {
    "morning", "evening", "tonight",   "tomorrow", "today",    "yesterday", "coffee",   "tea",
    "dinner",  "lunch",   "breakfast", "home",     "work",     "train",     "bus",      "late",
    "early",   "soon",    "later",     "maybe",    "really",   "always",    "never",    "again",
    "love",    "miss",    "you",       "me",       "we",       "us",        "our",      "your",
    "the",     "a",       "and",       "but",      "so",       "because",   "if",       "when",
    "what",    "where",   "how",       "why",      "who",      "this",      "that",     "here",
    "there",   "call",    "text",      "talk",     "think",    "know",      "feel",     "want",
    "need",    "like",    "see",       "look",     "watch",    "read",      "book",     "film",
    "music",   "song",    "walk",      "run",      "park",     "garden",    "rain",     "sun",
    "cold",    "warm",    "tired",     "happy",    "sad",      "busy",      "quiet",    "long",
    "short",   "day",     "night",     "week",     "weekend",  "month",     "year",     "time",
    "moment",  "plan",    "trip",      "holiday",  "beach",    "sea",       "mountain", "city",
    "friend",  "family",  "mother",    "father",   "sister",   "brother",   "cat",      "dog",
    "kitchen", "bread",   "cheese",    "wine",     "water",    "cake",      "soup",     "market",
    "shop",    "buy",     "bring",     "forget",   "remember", "wait",      "leave",    "arrive",
    "meet",    "station", "ticket",    "window",   "door",     "bed",       "sleep",    "dream",
    "laugh",   "smile",   "hug",       "kiss",     "sorry",    "thanks",    "please",   "yes",
    "no",      "okay",    "good",      "great",    "lovely",   "funny",     "strange",  "little",
    "big",     "new",     "old",       "first",    "last",     "next",
};

uint64_t Uniform(std::mt19937_64& rng, uint64_t n) {
  return rng() % n;
}

// A text of 20 to 200 bytes: words, a capital and a closing mark, and now and
// then the rare word.
void MakeText(std::mt19937_64& rng, std::string& text) {
  const size_t target = kMinTextBytes + Uniform(rng, kMaxTextBytes - kMinTextBytes + 1);
  text.clear();
  if (Uniform(rng, kRareOneIn) == 0) text = kRareWord;
  while (true) {
    std::string_view word = kWords[Uniform(rng, kWords.size())];
    if (text.size() >= kMinTextBytes && text.size() + 2 + word.size() > target) break;
    if (!text.empty()) text += ' ';
    text += word;
  }
  text[0] = static_cast<char>(text[0] - 'a' + 'A');
  text += "?!."[Uniform(rng, 3)];
}

std::string Stamp(uint64_t messages) {
  return "large history v" + std::to_string(kBuilderVersion) + ", " + std::to_string(messages) +
         " messages, seed " + std::to_string(kSeed) + "\n";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) Check(IoError("cannot write " + path.string()), "large history");
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Writes the whole conversation into the store, in large unsynced batches and a
// synced last one: nothing here needs to survive a crash.
void WriteHistory(store::SealedStore& store, uint64_t messages) {
  std::mt19937_64 rng(kSeed);
  const int64_t start_ms = NowUnixMs() - kSpanMs;
  const int64_t slot_ms = std::max<int64_t>(1, kSpanMs / static_cast<int64_t>(messages));
  records::ConversationCounters counters;
  uint64_t out_seq = 0, in_seq = 0, run_left = 0;
  auto direction = HistoryEntry::INCOMING;
  HistoryEntry entry;
  std::string text, serialized;
  store::SealedStore::WriteBatch batch(store);
  for (uint64_t id = 1; id <= messages; ++id) {
    if (run_left == 0) {
      direction =
          direction == HistoryEntry::OUTGOING ? HistoryEntry::INCOMING : HistoryEntry::OUTGOING;
      run_left = 1 + Uniform(rng, kLongestRun);
    }
    --run_left;
    const bool outgoing = direction == HistoryEntry::OUTGOING;
    const bool read = id + kUnreadAtEnd <= messages;
    const uint64_t seq = outgoing ? ++out_seq : ++in_seq;
    const int64_t sent_ms = start_ms + static_cast<int64_t>(id - 1) * slot_ms +
                            static_cast<int64_t>(Uniform(rng, static_cast<uint64_t>(slot_ms)));
    MakeText(rng, text);
    entry.Clear();
    entry.set_id(id);
    entry.set_direction(direction);
    entry.set_state(read ? HistoryEntry::READ : HistoryEntry::DELIVERED);
    entry.set_seq(seq);
    // As a daemon on the odd side numbers them when both went on the same streams.
    entry.set_number(store::NumberFromSeq(
        seq, outgoing ? store::NumberingSide::kOdd : store::NumberingSide::kEven));
    counters.set_last_number(std::max(counters.last_number(), entry.number()));
    entry.set_text(text);
    entry.set_sent_at_unix_ms(sent_ms);
    entry.set_received_at_unix_ms(
        sent_ms + 1 + static_cast<int64_t>(Uniform(rng, static_cast<uint64_t>(kMaxTransitMs))));
    entry.SerializeToString(&serialized);
    batch.Put(core::HistoryKey(id), crypto::AsBytes(serialized));
    records::EntryIndex index;
    index.set_history_id(id);
    batch.Put(core::NumberKey(entry.number()), crypto::AsBytes(index.SerializeAsString()));
    if (read && outgoing) counters.set_out_read(seq);
    if (read && !outgoing) counters.set_in_read(seq);
    if (read) counters.set_in_read_history_id(id);
    if (batch.size() >= kEntriesPerBatch) {
      Check(store.Write(batch, store::Durability::kLazy), "write the large history");
      batch.Clear();
    }
  }
  counters.set_next_history_id(messages + 1);
  counters.set_next_out_seq(out_seq + 1);
  counters.set_out_acked(out_seq);
  counters.set_in_stored(in_seq);
  batch.Put(core::kCountersKey, crypto::AsBytes(counters.SerializeAsString()));
  Check(store.Write(batch, store::Durability::kSynced), "write the large history");
}

}  // namespace

std::string LargeHistoryDataDir(const std::string& inmostd, const std::filesystem::path& cache_root,
                                uint64_t messages) {
  const std::filesystem::path marker = cache_root / kMarkerFile;
  const std::filesystem::path data_dir = cache_root / "data";
  if (ReadFile(marker) == Stamp(messages) && store::DataDir(data_dir).IsInitialized()) {
    return data_dir.string();
  }
  std::error_code ec;
  if (std::filesystem::exists(cache_root, ec) && !std::filesystem::exists(marker, ec) &&
      !std::filesystem::is_empty(cache_root, ec)) {
    Check(FailedPrecondition(cache_root.string() + " was not made by the benchmark"),
          "large history");
  }
  std::filesystem::remove_all(cache_root, ec);
  std::filesystem::create_directories(cache_root, ec);
  if (ec) Check(IoError("cannot create " + cache_root.string()), "large history");
  WriteFile(marker, kBuildingMarker);

  std::cerr << "bench: building a history of " << messages << " messages in " << cache_root
            << " (once; it is kept for later runs)\n";
  const auto started = std::chrono::steady_clock::now();
  InitDataDir(inmostd, data_dir.string(), (cache_root / "init.log").string());
  store::DataDir dir(data_dir);
  auto key = store::LoadKeyFile(dir.key_file_path());
  Check(key.status(), "read the storage key");
  auto opened =
      store::SealedStore::Open(dir.store_path(), std::move(*key), store::OpenMode::kExisting);
  Check(opened.status(), "open the store");
  WriteHistory(**opened, messages);
  const auto written = std::chrono::steady_clock::now();
  // A store that grew over years has been compacted along the way; so is this one.
  Check((*opened)->CompactPrefix(""), "compact the large history");
  opened->reset();
  const auto compacted = std::chrono::steady_clock::now();
  WriteFile(marker, Stamp(messages));
  const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::cerr << "bench: built in " << seconds(compacted - started) << " s (written in "
            << seconds(written - started) << " s, then compacted in "
            << seconds(compacted - written) << " s)\n";
  return data_dir.string();
}

}  // namespace inmost::bench
