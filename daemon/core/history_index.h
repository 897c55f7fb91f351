// Keeps the search index (search_index.h) in step with the history. The conversation
// tells it each entry whose searched text changes; those changes are staged on the
// group commit's writer thread into the very batch that writes the entries, so the
// index never holds a word the history no longer does. A store whose index is missing
// or was built by another ICU is indexed again in chunks between writes. It never logs
// a text or a word.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/group_commit.h"
#include "daemon/core/search_index.h"
#include "daemon/core/search_words.h"
#include "daemon/crypto/wipe.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"
#include "inmost/status.h"
#include "proto/records.pb.h"

namespace inmost::core {

// The text of `entry` that search looks at: its text, unless this side forgot it
// (a stale copy must never bring back what the user forgot).
std::string_view SearchedText(const records::HistoryEntry& entry);
// What HistoryEntry.indexed_text holds for an entry whose searched text is `text`.
std::string TextFingerprint(std::string_view text);

// What an indexed search found.
struct IndexedSearch {
  std::vector<records::HistoryEntry> matches;  // Newest first, at most the limit.
  uint64_t looked_at = 0;                      // Entries the index offered.
  bool more = false;                           // More matched, older than the last one.
};

class HistoryIndex {
 public:
  // The index of `store`, written through `commit`; `next_history_id` tells the id the
  // next history entry will get (a rebuild indexes every entry below it). All must
  // outlive this object. Starts a rebuild (see Rebuild) when the index is incomplete.
  static Result<std::unique_ptr<HistoryIndex>> Open(boost::asio::io_context& io,
                                                    store::SealedStore& store, GroupCommit& commit,
                                                    std::function<uint64_t()> next_history_id,
                                                    log::Logger& log);
  HistoryIndex(const HistoryIndex&) = delete;
  HistoryIndex& operator=(const HistoryIndex&) = delete;
  ~HistoryIndex();

  // ---- io thread, for the conversation ----
  // Entry `id`'s searched text goes from `before` to `after` in the batch being filled.
  void TextChanged(uint64_t id, std::string before, std::string after);
  // The batch being filled is handed to the writer (the group commit's before-flush
  // hook): the changes gathered for it are staged with it, on the writer thread.
  void BeforeFlush();
  // A write failed: the batch being filled is dropped as well (the conversation reads
  // its state again), and what the index remembers of its own writes is forgotten.
  void AfterFailedWrite();

  // Forgets the index and builds it again from the history, in the background; returns
  // how many entries the rebuild goes through (FailedPrecondition while one runs).
  Result<uint64_t> Rebuild();
  // No more rebuild chunks (the daemon stops); a rebuild goes on at the next start.
  void Stop() { stopping_ = true; }
  // Whether every entry is in the index: no rebuild is under way. Any thread.
  bool complete() const { return complete_.load(std::memory_order_acquire); }

  // Any thread: the newest entries older than `before_id` (0: no bound) whose text holds
  // every word of `query` (a last word may be a prefix; "quoted words" a phrase), at most
  // `limit`. Reads only what is on disk. InvalidArgument for a query without a word.
  Result<IndexedSearch> Find(std::string_view query, uint32_t limit, uint64_t before_id) const;

 private:
  // Texts are wiped when a change is dropped.
  struct TextChange {
    TextChange(uint64_t changed_id, std::string text_before, std::string text_after)
        : id(changed_id), before(std::move(text_before)), after(std::move(text_after)) {}
    TextChange(TextChange&&) = default;
    TextChange& operator=(TextChange&&) = default;
    ~TextChange() {
      crypto::WipeString(before);
      crypto::WipeString(after);
    }
    uint64_t id = 0;
    std::string before;
    std::string after;
  };
  // Where a rebuild stands, as its record keeps it.
  enum class Phase : uint8_t { kDone = 0, kClearing = 1, kIndexing = 2 };
  struct Progress {
    Phase phase = Phase::kDone;
    uint64_t next_id = 0;  // kIndexing: the next entry to index.
    uint64_t end_id = 0;   // kIndexing: entries from here on were indexed as written.
  };

  // What one write's step does: a chunk of the rebuild, then the batch's changes.
  struct StepWork {
    std::vector<TextChange> changes;
    bool chunk = false;    // A rebuild chunk goes first.
    Progress progress;     // Where the rebuild stands, then where the chunk left it.
    uint64_t skipped = 0;  // Entries the chunk could not read.
    uint64_t damaged = 0;  // Damaged index records Stage() replaced.
    // Index records a removal rewrote or deleted, to compact once written.
    std::vector<std::string> removed_from;
  };

  HistoryIndex(boost::asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
               std::function<uint64_t()> next_history_id, log::Logger& log, SearchIndex index,
               SearchWords writer_words, SearchWords query_words);

  // Writer thread: one write's step (BeforeFlush).
  Status RunStep(StepWork& work, store::SealedStore::WriteBatch& batch);

  // ---- the rebuild, one chunk per write (history_index_rebuild.cc) ----
  static Result<Progress> ReadProgress(const store::SealedStore& store);
  void Start(Progress progress);
  boost::asio::awaitable<void> RunRebuild();
  // Writer thread: adds the deletes of up to a chunk of index records to `batch`, and
  // moves `progress` on to indexing once none is left.
  Status ClearChunk(Progress& progress, store::SealedStore::WriteBatch& batch);
  // Writer thread: adds a chunk of entries, from `work.progress.next_id` on, to `changes`.
  Status IndexChunk(StepWork& work, SearchIndex::Changes& changes);
  // Writer thread: records `progress` (or that the index is complete) in `batch`.
  static void PutProgress(const Progress& progress, store::SealedStore::WriteBatch& batch);

  boost::asio::io_context& io_;
  store::SealedStore& store_;
  GroupCommit& commit_;
  std::function<uint64_t()> next_history_id_;
  log::Logger& log_;
  SearchIndex index_;         // Stage() on the writer thread only.
  SearchWords writer_words_;  // Writer thread only.
  mutable std::mutex query_mu_;
  mutable SearchWords query_words_;  // Under query_mu_.

  // io thread.
  std::vector<TextChange> pending_;       // For the batch being filled.
  Progress progress_;                     // The rebuild as last written.
  bool chunk_due_ = false;                // The next write carries a rebuild chunk.
  std::shared_ptr<StepWork> chunk_work_;  // The step that carried it.
  bool running_ = false;                  // RunRebuild() is under way.
  bool stopping_ = false;
  std::atomic<bool> complete_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // For the rebuild coroutine.
};

}  // namespace inmost::core
