#include "daemon/core/history_search.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "daemon/core/history_keys.h"
#include "daemon/core/message_view.h"
#include "daemon/crypto/wipe.h"
#include "daemon/store/record_key.h"

namespace inmost::core {
namespace {

using google::protobuf::internal::WireFormatLite;

// More ranges than cores only adds switching; no machine inmost runs on needs more.
constexpr unsigned kMaxThreads = 16;
constexpr std::string_view kWhitespace = " \t\n\r\f\v";

char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// The words of a query, lowered as texts will be.
std::vector<std::string> SplitWords(std::string_view words) {
  std::vector<std::string> out;
  size_t at = words.find_first_not_of(kWhitespace);
  while (at != std::string_view::npos) {
    const size_t end = std::min(words.find_first_of(kWhitespace, at), words.size());
    std::string& word = out.emplace_back(words.substr(at, end - at));
    std::transform(word.begin(), word.end(), word.begin(), AsciiLower);
    at = words.find_first_not_of(kWhitespace, end);
  }
  return out;
}

// What a search looks at in a serialized HistoryEntry.
struct SearchedFields {
  uint64_t id = 0;
  std::string_view text;
  records::HistoryEntry::ForgetState forget = records::HistoryEntry::FORGET_NONE;
};

// The searched fields, read straight from the wire format: most entries do not
// match, and fully parsing each one would allocate. Nullopt for malformed bytes.
std::optional<SearchedFields> ReadSearchedFields(std::string_view bytes) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  SearchedFields fields;
  while (const uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const WireFormatLite::WireType type = WireFormatLite::GetTagWireType(tag);
    if (field == records::HistoryEntry::kTextFieldNumber &&
        type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t size = 0;
      if (!in.ReadVarint32(&size)) return std::nullopt;
      const int at = in.CurrentPosition();
      if (!in.Skip(static_cast<int>(size))) return std::nullopt;
      fields.text = bytes.substr(static_cast<size_t>(at), size);
    } else if (field == records::HistoryEntry::kIdFieldNumber &&
               type == WireFormatLite::WIRETYPE_VARINT) {
      if (!in.ReadVarint64(&fields.id)) return std::nullopt;
    } else if (field == records::HistoryEntry::kForgetFieldNumber &&
               type == WireFormatLite::WIRETYPE_VARINT) {
      uint64_t forget = 0;
      if (!in.ReadVarint64(&forget)) return std::nullopt;
      fields.forget = static_cast<records::HistoryEntry::ForgetState>(forget);
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return std::nullopt;
    }
  }
  if (!in.ConsumedEntireMessage()) return std::nullopt;
  return fields;
}

// `text` with its ASCII capitals lowered, into `out`. Every search pays this on
// every text, so it takes eight bytes at a time: per byte, the high bit of `upper`
// is set for 'A' to 'Z' alone (no sum carries into the next byte), and shifted
// down it becomes the 0x20 that lowers the letter.
void LowerAscii(std::string_view text, std::string& out) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHighBits = 0x80 * kOnes;
  out.resize(text.size());
  size_t i = 0;
  for (; i + sizeof(uint64_t) <= text.size(); i += sizeof(uint64_t)) {
    uint64_t bytes = 0;
    std::memcpy(&bytes, text.data() + i, sizeof bytes);
    const uint64_t low7 = bytes & ~kHighBits;
    const uint64_t from_a = low7 + (0x80 - 'A') * kOnes;
    const uint64_t past_z = low7 + (0x80 - 'Z' - 1) * kOnes;
    const uint64_t upper = from_a & ~past_z & ~bytes & kHighBits;
    bytes |= upper >> 2;
    std::memcpy(out.data() + i, &bytes, sizeof bytes);
  }
  for (; i < text.size(); ++i) out[i] = AsciiLower(text[i]);
}

// True when `text` holds every one of the lowered `words`. `lowered` is scratch
// space reused across entries, so matching allocates nothing once it has grown.
bool HoldsEveryWord(std::string_view text, const std::vector<std::string>& words,
                    std::string& lowered) {
  if (text.empty()) return false;
  LowerAscii(text, lowered);
  return std::all_of(words.begin(), words.end(), [&](const std::string& word) {
    return lowered.find(word) != std::string::npos;
  });
}

// A match as the scan keeps it: copied out of the store's buffer (wiped after each
// record), and parsed only if it is among those returned.
struct KeptMatch {
  uint64_t id = 0;
  std::string key;
  std::string entry;  // A serialized HistoryEntry.
};

bool Newer(const KeptMatch& a, const KeptMatch& b) {
  return a.id > b.id;
}

// One shard of the history's records and what its scan found.
struct ShardScan {
  ShardScan() = default;
  ShardScan(const ShardScan&) = delete;
  ShardScan& operator=(const ShardScan&) = delete;
  ~ShardScan() {
    for (KeptMatch& kept : newest) {
      crypto::WipeString(kept.entry);
    }
  }

  // The newest `limit` matches, a heap whose top is the oldest of them: a match older
  // than a full heap's top is dropped, a newer one is copied into the top's slot, so
  // a frequent word allocates nothing per match once the heap is full.
  std::vector<KeptMatch> newest;
  uint64_t matched = 0;
  uint64_t searched = 0;
  Status status;
};

void Scan(const store::SealedStore& store, const std::vector<std::string>& words, uint32_t limit,
          uint64_t before_id, std::atomic<bool>& failed, unsigned shard, unsigned shards,
          ShardScan& scan) {
  std::string lowered;
  Status entry_error;
  scan.status = store.ForEachShard(
      kHistoryPrefix, shard, shards, [&](std::string_view key, std::string_view value) {
        if (failed.load(std::memory_order_relaxed)) return false;  // Another shard failed.
        ++scan.searched;
        std::optional<SearchedFields> fields = ReadSearchedFields(value);
        if (!fields) {
          entry_error = Corruption("history entry '" + store::PrintableKey(key) +
                                   "' does not parse: the store is damaged");
          return false;
        }
        // Should a stale copy of a forgotten text remain, it is still never found.
        if ((before_id != 0 && fields->id >= before_id) || ForgottenHere(fields->forget) ||
            !HoldsEveryWord(fields->text, words, lowered)) {
          return true;
        }
        ++scan.matched;
        if (scan.newest.size() == limit) {
          if (fields->id < scan.newest.front().id) return true;
          std::pop_heap(scan.newest.begin(), scan.newest.end(), Newer);
        } else {
          scan.newest.emplace_back();
        }
        KeptMatch& kept = scan.newest.back();
        kept.id = fields->id;
        kept.key.assign(key);
        kept.entry.assign(value);
        std::push_heap(scan.newest.begin(), scan.newest.end(), Newer);
        return true;
      });
  if (scan.status.ok()) scan.status = entry_error;
  if (!scan.status.ok()) failed = true;
  crypto::WipeString(lowered);
}

}  // namespace

Result<SearchResult> SearchHistory(const store::SealedStore& store, std::string_view words,
                                   uint32_t limit, unsigned threads, uint64_t before_id) {
  const std::vector<std::string> query = SplitWords(words);
  if (query.empty()) return InvalidArgument("give at least one word to search for");
  if (limit == 0) return InvalidArgument("a search must allow at least one result");

  const unsigned shards = std::clamp(threads, 1u, kMaxThreads);
  std::vector<ShardScan> scans(shards);
  std::atomic<bool> failed = false;
  {
    std::vector<std::jthread> workers;  // Joined when this block ends.
    for (unsigned i = 1; i < shards; ++i) {
      try {
        workers.emplace_back(
            [&, i] { Scan(store, query, limit, before_id, failed, i, shards, scans[i]); });
      } catch (const std::system_error&) {
        Scan(store, query, limit, before_id, failed, i, shards, scans[i]);  // No thread to spare.
      }
    }
    Scan(store, query, limit, before_id, failed, 0, shards, scans[0]);
  }

  SearchResult result;
  uint64_t matched = 0;
  std::vector<const KeptMatch*> kept;
  for (const ShardScan& scan : scans) {
    if (!scan.status.ok()) return scan.status;
    matched += scan.matched;
    result.searched += scan.searched;
    for (const KeptMatch& match : scan.newest) kept.push_back(&match);
  }
  result.more = matched > limit;
  std::sort(kept.begin(), kept.end(),
            [](const KeptMatch* a, const KeptMatch* b) { return Newer(*a, *b); });
  if (kept.size() > limit) kept.resize(limit);
  result.matches.reserve(kept.size());
  for (const KeptMatch* match : kept) {
    if (!result.matches.emplace_back().ParseFromString(match->entry)) {
      return Corruption("history entry '" + store::PrintableKey(match->key) +
                        "' does not parse: the store is damaged");
    }
  }
  return result;
}

}  // namespace inmost::core
