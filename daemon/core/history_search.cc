#include "daemon/core/history_search.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "daemon/core/history_keys.h"
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

// True when this side deleted the entry's text: should a stale copy remain, a
// search must still never bring back what the user forgot.
bool ForgottenHere(records::HistoryEntry::ForgetState forget) {
  switch (forget) {
    case records::HistoryEntry::FORGOTTEN:
    case records::HistoryEntry::ASKED:
    case records::HistoryEntry::FORGOTTEN_BOTH:
    case records::HistoryEntry::PARTNER_KEPT:
      return true;
    default:
      return false;
  }
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

// Overwrites all of `text`, including capacity left by longer earlier contents:
// scratch space and kept matches hold plaintext, which the store wipes too.
void Wipe(std::string& text) {
  text.resize(text.capacity());
  sodium_memzero(text.data(), text.size());
}

// A match as the scan keeps it: copied out of the store's buffer (wiped after each
// record), and parsed only if it is among those returned.
struct KeptMatch {
  std::string key;
  std::string entry;  // A serialized HistoryEntry.
};

// One contiguous range of history keys and what its scan found.
struct RangeScan {
  RangeScan() = default;
  RangeScan(const RangeScan&) = delete;
  RangeScan& operator=(const RangeScan&) = delete;
  ~RangeScan() {
    for (KeptMatch& kept : ring) Wipe(kept.entry);
  }

  std::string begin;  // The first key of the range.
  std::string end;    // The first key past it; empty for the newest range.
  // The newest `limit` matches, as a ring in which match n lives in slot n % limit:
  // slots are copied into again, so a frequent word allocates nothing per match.
  std::vector<KeptMatch> ring;
  uint64_t matched = 0;
  uint64_t searched = 0;
  Status status;
};

void Scan(const store::SealedStore& store, const std::vector<std::string>& words, uint32_t limit,
          std::atomic<bool>& failed, RangeScan& range) {
  std::string lowered;
  Status entry_error;
  range.status = store.ForEachInRange(
      range.begin, range.end, [&](std::string_view key, std::string_view value) {
        if (failed.load(std::memory_order_relaxed)) return false;  // Another range failed.
        ++range.searched;
        std::optional<SearchedFields> fields = ReadSearchedFields(value);
        if (!fields) {
          entry_error = Corruption("history entry '" + store::PrintableKey(key) +
                                   "' does not parse: the store is damaged");
          return false;
        }
        if (ForgottenHere(fields->forget) || !HoldsEveryWord(fields->text, words, lowered)) {
          return true;
        }
        const size_t slot = range.matched % limit;
        if (slot == range.ring.size()) range.ring.emplace_back();
        range.ring[slot].key.assign(key);
        range.ring[slot].entry.assign(value);
        ++range.matched;
        return true;
      });
  if (range.status.ok()) range.status = entry_error;
  if (!range.status.ok()) failed = true;
  Wipe(lowered);
}

// The id of the newest history entry, 0 when there is none.
Result<uint64_t> NewestId(const store::SealedStore& store) {
  uint64_t newest = 0;
  Status key_error;
  INMOST_RETURN_IF_ERROR(
      store.ForEachReverse(kHistoryPrefix, [&](std::string_view key, std::string_view) {
        std::optional<uint64_t> id = store::DecodeUint64(key.substr(kHistoryPrefix.size()));
        if (id) {
          newest = *id;
        } else {
          key_error = Corruption("history key '" + store::PrintableKey(key) + "' is malformed");
        }
        return false;
      }));
  if (!key_error.ok()) return key_error;
  return newest;
}

// `count` contiguous ranges covering every history key. Ids are dense from 1, so
// equal id spans are equal work; the outer ranges are open so that no key is missed.
std::vector<RangeScan> SplitRanges(uint64_t newest_id, unsigned count) {
  const uint64_t span = newest_id / count;
  const uint64_t extra = newest_id % count;
  std::vector<RangeScan> ranges(count);
  for (unsigned i = 0; i < count; ++i) {
    const uint64_t first_id = 1 + i * span + std::min<uint64_t>(i, extra);
    ranges[i].begin = i == 0 ? std::string(kHistoryPrefix) : HistoryKey(first_id);
    if (i > 0) ranges[i - 1].end = ranges[i].begin;
  }
  ranges.back().end = store::PrefixSuccessor(kHistoryPrefix).value_or("");
  return ranges;
}

}  // namespace

Result<SearchResult> SearchHistory(const store::SealedStore& store, std::string_view words,
                                   uint32_t limit, unsigned threads) {
  const std::vector<std::string> query = SplitWords(words);
  if (query.empty()) return InvalidArgument("give at least one word to search for");
  if (limit == 0) return InvalidArgument("a search must allow at least one result");

  Result<uint64_t> newest_id = NewestId(store);
  if (!newest_id.ok()) return newest_id.status();
  if (*newest_id == 0) return SearchResult{};
  const auto count =
      static_cast<unsigned>(std::min<uint64_t>(std::clamp(threads, 1u, kMaxThreads), *newest_id));
  std::vector<RangeScan> ranges = SplitRanges(*newest_id, count);

  std::atomic<bool> failed = false;
  {
    std::vector<std::jthread> workers;  // Joined when this block ends.
    for (size_t i = 1; i < ranges.size(); ++i) {
      try {
        workers.emplace_back([&, i] { Scan(store, query, limit, failed, ranges[i]); });
      } catch (const std::system_error&) {
        Scan(store, query, limit, failed, ranges[i]);  // No thread to spare: scan it here.
      }
    }
    Scan(store, query, limit, failed, ranges[0]);
  }

  SearchResult result;
  uint64_t matched = 0;
  for (const RangeScan& range : ranges) {
    if (!range.status.ok()) return range.status;
    matched += range.matched;
    result.searched += range.searched;
  }
  result.more = matched > limit;
  result.matches.reserve(std::min<uint64_t>(matched, limit));
  // Newest range first, and within each its ring from the newest match back.
  for (auto range = ranges.rbegin(); range != ranges.rend(); ++range) {
    const uint64_t kept = std::min<uint64_t>(range->matched, limit);
    for (uint64_t k = 0; k < kept && result.matches.size() < limit; ++k) {
      const KeptMatch& match = range->ring[(range->matched - 1 - k) % limit];
      if (!result.matches.emplace_back().ParseFromString(match.entry)) {
        return Corruption("history entry '" + store::PrintableKey(match.key) +
                          "' does not parse: the store is damaged");
      }
    }
  }
  return result;
}

}  // namespace inmost::core
