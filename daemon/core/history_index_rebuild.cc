// Building the search index again from the history (history_index.h): after a
// rebuild request or another ICU's index, the old records are deleted a chunk per
// write; then the entries are indexed a chunk per write, where the last write left
// off, so a restart goes on from there. Entries written meanwhile are indexed as
// they are written.
#include <unicode/uvernum.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "daemon/core/history_index.h"
#include "daemon/core/history_keys.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/wipe.h"

namespace inmost::core {
namespace {

// Where the rebuild stands: phase (1 byte), next id, end id (8 bytes each).
constexpr std::string_view kProgressKey = "sx/rebuild";
// Present once the index is complete: which folding built it.
constexpr std::string_view kBuiltKey = "sx/built";
// An index from another ICU may fold words otherwise: it is built again.
constexpr std::string_view kIndexVersion = "icu " U_ICU_VERSION ", words 1";
// Entries indexed, or index records deleted, per write: a chunk holds the writer
// thread for some tens of milliseconds, so messages written meanwhile wait no longer.
constexpr uint64_t kIndexChunk = 2048;
constexpr size_t kClearChunk = 20000;
constexpr size_t kProgressSize = 17;

uint64_t ReadUint64(std::string_view bytes) {
  uint64_t value = 0;
  for (char c : bytes.substr(0, sizeof value)) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

}  // namespace

Result<HistoryIndex::Progress> HistoryIndex::ReadProgress(const store::SealedStore& store) {
  Result<std::string> stored = store.Get(kProgressKey);
  if (stored.ok()) {
    const auto phase = stored->empty() ? 0 : static_cast<uint8_t>((*stored)[0]);
    if (stored->size() != kProgressSize || (phase != static_cast<uint8_t>(Phase::kClearing) &&
                                            phase != static_cast<uint8_t>(Phase::kIndexing))) {
      return Progress{Phase::kClearing};  // Damaged: start again from nothing.
    }
    return Progress{static_cast<Phase>(phase), ReadUint64(stored->substr(1)),
                    ReadUint64(stored->substr(9))};
  }
  if (stored.status().code() != Code::kNotFound) return stored.status();
  Result<std::string> built = store.Get(kBuiltKey);
  if (built.ok()) {
    if (*built == kIndexVersion) return Progress{Phase::kDone};
    return Progress{Phase::kClearing};
  }
  if (built.status().code() != Code::kNotFound) return built.status();
  // Never built (a new store, or one from before the index): nothing to clear.
  return Progress{Phase::kIndexing, 1, 0};
}

void HistoryIndex::PutProgress(const Progress& progress, store::SealedStore::WriteBatch& batch) {
  if (progress.phase == Phase::kDone) {
    batch.Delete(kProgressKey);
    batch.Put(kBuiltKey, crypto::AsBytes(kIndexVersion));
    return;
  }
  std::string value(1, static_cast<char>(progress.phase));
  store::AppendUint64(value, progress.next_id);
  store::AppendUint64(value, progress.end_id);
  batch.Put(kProgressKey, crypto::AsBytes(value));
}

void HistoryIndex::Start(Progress progress) {
  progress_ = progress;
  if (progress_.phase == Phase::kDone) {
    complete_ = true;
    return;
  }
  complete_ = false;
  if (running_) return;
  running_ = true;
  boost::asio::co_spawn(io_, RunRebuild(), boost::asio::detached);
}

Result<uint64_t> HistoryIndex::Rebuild() {
  if (running_) return FailedPrecondition("the search index is being rebuilt already");
  Start(Progress{Phase::kClearing});
  return next_history_id_() - 1;
}

boost::asio::awaitable<void> HistoryIndex::RunRebuild() {
  const std::shared_ptr<bool> alive = alive_;
  // A new store's index is complete at once; only a history to go through is told.
  const bool told = progress_.phase == Phase::kClearing || next_history_id_() > 1;
  if (told) log_.Info("search index: building it from the history");
  while (progress_.phase != Phase::kDone && !stopping_) {
    // Entries from here on are indexed as they are written.
    if (progress_.phase == Phase::kIndexing && progress_.end_id == 0) {
      progress_.end_id = next_history_id_();
    }
    chunk_due_ = true;
    Status written = co_await commit_.Sync();
    if (!*alive) co_return;
    std::shared_ptr<StepWork> work = std::move(chunk_work_);
    if (!written.ok() || !work) {
      log_.Warning("search index: the rebuild stopped (" + written.ToString() +
                   "); it goes on at the next start");
      running_ = false;
      co_return;
    }
    if (work->skipped > 0) {
      log_.Warning("search index: " + std::to_string(work->skipped) +
                   " history entries do not open and are left out of it");
    }
    progress_ = work->progress;
  }
  running_ = false;
  if (progress_.phase == Phase::kDone) {
    complete_ = true;
    if (told) log_.Info("search index: complete");
  }
}

Status HistoryIndex::ClearChunk(Progress& progress, store::SealedStore::WriteBatch& batch) {
  size_t deleted = 0;
  INMOST_RETURN_IF_ERROR(
      store_.ForEachShard(kSearchIndexPrefix, 0, 1, [&](std::string_view key, std::string_view) {
        if (key == kSearchIndexKey || key == kProgressKey) return true;
        batch.Delete(key);
        return ++deleted < kClearChunk;
      }));
  // What Stage() remembers describes the records deleted now.
  index_.Forget();
  if (deleted < kClearChunk) progress = Progress{Phase::kIndexing, 1, 0};
  PutProgress(progress, batch);
  return Status::Ok();
}

Status HistoryIndex::IndexChunk(StepWork& work, SearchIndex::Changes& changes) {
  Progress& progress = work.progress;
  const uint64_t last = std::min(progress.next_id + kIndexChunk, progress.end_id);
  for (uint64_t id = progress.next_id; id < last; ++id) {
    Result<std::string> value = store_.Get(HistoryKey(id));
    if (!value.ok()) {
      const Code code = value.status().code();
      if (code == Code::kNotFound) continue;  // A view-once entry, gone once viewed.
      if (code != Code::kCorruption && code != Code::kAuthenticationFailed) return value.status();
      ++work.skipped;  // The damage is reported where the entry is read.
      continue;
    }
    records::HistoryEntry entry;
    const bool parsed = entry.ParseFromString(*value);
    crypto::WipeString(*value);
    if (!parsed) {
      ++work.skipped;
      continue;
    }
    if (std::string_view text = SearchedText(entry); !text.empty()) {
      changes.Add(id, writer_words_.Split(text));
    }
    crypto::WipeString(*entry.mutable_text());
  }
  progress.next_id = last;
  if (last >= progress.end_id) progress.phase = Phase::kDone;
  return Status::Ok();
}

}  // namespace inmost::core
