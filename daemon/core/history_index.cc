// The history's search index kept in step with its writes (history_index.h); the
// rebuild is history_index_rebuild.cc, the search history_index_find.cc.
#include "daemon/core/history_index.h"

#include <sodium.h>

#include <utility>

#include "daemon/core/message_view.h"

namespace inmost::core {
namespace {

constexpr size_t kFingerprintBytes = 16;
// Past this many index records to compact after a write (a whole history forgotten),
// one compaction of the index's range costs less than one per record.
constexpr size_t kCompactKeysAtMost = 64;

}  // namespace

std::string_view SearchedText(const records::HistoryEntry& entry) {
  return HasContent(entry) ? std::string_view(entry.text()) : std::string_view();
}

std::string TextFingerprint(std::string_view text) {
  std::string fingerprint(kFingerprintBytes, '\0');
  crypto_generichash(reinterpret_cast<uint8_t*>(fingerprint.data()), fingerprint.size(),
                     reinterpret_cast<const uint8_t*>(text.data()), text.size(), nullptr, 0);
  return fingerprint;
}

Result<std::unique_ptr<HistoryIndex>> HistoryIndex::Open(boost::asio::io_context& io,
                                                         store::SealedStore& store,
                                                         GroupCommit& commit,
                                                         std::function<uint64_t()> next_history_id,
                                                         log::Logger& log) {
  Result<SearchIndex> index = SearchIndex::Open(store);
  if (!index.ok()) return index.status();
  Result<SearchWords> writer_words = SearchWords::Create();
  if (!writer_words.ok()) return writer_words.status();
  Result<SearchWords> query_words = SearchWords::Create();
  if (!query_words.ok()) return query_words.status();
  Result<Progress> progress = ReadProgress(store);
  if (!progress.ok()) return progress.status();
  std::unique_ptr<HistoryIndex> history_index(
      new HistoryIndex(io, store, commit, std::move(next_history_id), log, std::move(*index),
                       std::move(*writer_words), std::move(*query_words)));
  history_index->Start(*progress);
  return history_index;
}

HistoryIndex::HistoryIndex(boost::asio::io_context& io, store::SealedStore& store,
                           GroupCommit& commit, std::function<uint64_t()> next_history_id,
                           log::Logger& log, SearchIndex index, SearchWords writer_words,
                           SearchWords query_words)
    : io_(io),
      store_(store),
      commit_(commit),
      next_history_id_(std::move(next_history_id)),
      log_(log),
      index_(std::move(index)),
      writer_words_(std::move(writer_words)),
      query_words_(std::move(query_words)) {}

HistoryIndex::~HistoryIndex() {
  *alive_ = false;
}

void HistoryIndex::TextChanged(uint64_t id, std::string before, std::string after) {
  if (before == after) return;
  pending_.emplace_back(id, std::move(before), std::move(after));
}

void HistoryIndex::BeforeFlush() {
  const bool chunk = std::exchange(chunk_due_, false);
  // While the old index is being cleared, what is written now would be cleared with
  // it: the rebuild that follows indexes these entries from the disk instead.
  if (progress_.phase == Phase::kClearing) pending_.clear();
  if (pending_.empty() && !chunk) return;
  auto work = std::make_shared<StepWork>();
  work->changes.swap(pending_);
  work->chunk = chunk;
  work->progress = progress_;
  if (chunk) chunk_work_ = work;
  commit_.AddWriterStep(
      [this, work](store::SealedStore::WriteBatch& batch) { return RunStep(*work, batch); });
  // A forgotten word's old records stay in LevelDB's files until compacted, as the
  // forgotten entry's own does (Conversation::Erase).
  commit_.AfterWrite([this, work, alive = alive_](const Status& written) {
    if (!written.ok() || !*alive) return;
    if (work->damaged > 0) {
      log_.Warning("search index: " + std::to_string(work->damaged) +
                   " damaged index records were replaced; searches may miss older messages "
                   "until `inmost search --rebuild-index`");
    }
    if (work->removed_from.empty()) return;
    Status compacted = Status::Ok();
    if (work->removed_from.size() > kCompactKeysAtMost) {
      compacted = store_.CompactPrefix(kSearchIndexPrefix);  // Once, not key by key.
    } else {
      for (const std::string& key : work->removed_from) {
        compacted = store_.CompactKey(key);
        if (!compacted.ok()) break;
      }
    }
    if (!compacted.ok()) {
      log_.Warning("search index: could not compact a removed word: " + compacted.ToString());
    }
  });
}

void HistoryIndex::AfterFailedWrite() {
  // The writer is idle now (this runs from the failed write's completion), so what
  // Stage() remembers can be dropped here.
  index_.Forget();
  pending_.clear();
}

Status HistoryIndex::RunStep(StepWork& work, store::SealedStore::WriteBatch& batch) {
  SearchIndex::Changes changes;
  if (work.chunk) {
    if (work.progress.phase == Phase::kClearing) return ClearChunk(work.progress, batch);
    INMOST_RETURN_IF_ERROR(IndexChunk(work, changes));
    PutProgress(work.progress, batch);
  }
  // After the chunk and in the order they were made, so an entry added then erased in
  // one batch is gone. One Stage() a write: a second would not see the first's records.
  for (const TextChange& change : work.changes) {
    if (!change.before.empty()) changes.Remove(change.id, writer_words_.Split(change.before));
    if (!change.after.empty()) changes.Add(change.id, writer_words_.Split(change.after));
  }
  work.changes.clear();
  if (changes.empty()) return Status::Ok();
  Status staged = index_.Stage(changes, batch, &work.removed_from);
  work.damaged = index_.TakeDamaged();
  return staged;
}

}  // namespace inmost::core
