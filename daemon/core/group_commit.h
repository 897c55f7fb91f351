// Group commit: many writes that arrive close together share one synced LevelDB
// batch, so durability costs one fsync per burst rather than one per message.
// Nothing is reported durable before the batch holding it is synced.
//
// The write itself runs on a writer thread, so the io_context thread keeps
// serving (and gathering the next batch) while the disk syncs: one batch is being
// written while the next one fills. Every hook and callback runs on the io thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "daemon/store/sealed_store.h"
#include "inmost/status.h"

namespace inmost::core {

class GroupCommit {
 public:
  using Done = std::function<void(const Status&)>;

  // Commits into `store`; hooks and callbacks run on `io`'s thread. Both must
  // outlive this object.
  GroupCommit(boost::asio::io_context& io, store::SealedStore& store);
  // Waits for the write in progress, if any, and stops the writer thread.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // The batch the next flush writes: add puts and deletes here, then call
  // AfterSync or Sync to make sure a flush follows.
  store::SealedStore::WriteBatch& batch() { return batch_; }

  // `before` is called with the batch as it is handed to the writer, to add state
  // that summarises it (the conversation's counters); `after` with that batch's
  // outcome, before any callback of that batch runs.
  void SetFlushHooks(std::function<void(store::SealedStore::WriteBatch&)> before, Done after) {
    before_flush_ = std::move(before);
    after_flush_ = std::move(after);
  }

  // A step the writer thread runs just before it writes the batch being filled, with
  // that batch: it may add to it (derived records that need reads in write order,
  // such as the search index); an error fails the write. Steps run in the order added.
  using WriterStep = std::function<Status(store::SealedStore::WriteBatch&)>;
  // Adds `step` to the batch being filled (call AfterSync or AfterWrite too, so a
  // flush follows).
  void AddWriterStep(WriterStep step) { steps_.push_back(std::move(step)); }

  // Schedules a flush (once per burst) and calls `done` with its outcome after the
  // batch is synced, or failed.
  void AfterSync(Done done);
  // Schedules a flush for writes that need not be synced (bookkeeping that a crash
  // may lose because it is re-derived or re-sent); `done` runs after the write. The
  // flush is synced anyway when anything in it needs it.
  void AfterWrite(Done done);
  // As AfterSync, as a coroutine: resumes once the current batch is on disk.
  boost::asio::awaitable<Status> Sync();

  // Waits for the write in progress, then writes the pending batch synced, on the
  // calling (io) thread; used at shutdown and where a caller must not suspend.
  void FlushNow();

  // Drops the batch being filled and fails its callbacks with `status`: after a
  // failed write, what was built on top of it must not reach the disk either.
  void DiscardPending(const Status& status);

 private:
  struct Job {
    store::SealedStore::WriteBatch batch;
    store::Durability durability;
    std::vector<Done> done;
    std::vector<WriterStep> steps;
  };

  void Schedule(Done done);
  // Hands the pending batch to the writer unless a write is in progress.
  void Submit();
  Job TakeJob();
  void Finish(Job& job, const Status& status);
  // Runs `job`'s steps, then writes its batch (on the thread that calls it).
  Status Write(Job& job);
  void WriterLoop();
  void WaitForWriterIdle();

  boost::asio::io_context& io_;
  store::SealedStore& store_;
  store::SealedStore::WriteBatch batch_;
  std::vector<Done> waiting_;
  std::vector<WriterStep> steps_;
  std::function<void(store::SealedStore::WriteBatch&)> before_flush_;
  Done after_flush_;
  bool submit_posted_ = false;
  bool needs_sync_ = false;
  bool write_in_flight_ = false;  // io thread: a job is with the writer.

  // Shared with the writer thread.
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Job> job_;  // Handed to the writer, not yet taken.
  bool writer_busy_ = false;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace inmost::core
