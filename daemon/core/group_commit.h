// Group commit: many writes that arrive close together share one synced LevelDB
// batch, so durability costs one fsync per burst rather than one per message.
// Nothing is reported durable before the batch holding it is synced.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <vector>

#include "daemon/store/sealed_store.h"
#include "inmost/status.h"

namespace inmost::core {

class GroupCommit {
 public:
  using Done = std::function<void(const Status&)>;

  // Commits into `store`, flushing on `io`'s thread; both must outlive this object.
  GroupCommit(boost::asio::io_context& io, store::SealedStore& store);

  // The batch the next flush writes: add puts and deletes here, then call
  // AfterSync or Sync to make sure a flush follows.
  store::SealedStore::WriteBatch& batch() { return batch_; }

  // `before` is called with the batch just before each flush, to add state that
  // summarises it (the conversation's counters); `after` with the flush's outcome,
  // before any AfterSync callback of that flush runs.
  void SetFlushHooks(std::function<void(store::SealedStore::WriteBatch&)> before, Done after) {
    before_flush_ = std::move(before);
    after_flush_ = std::move(after);
  }

  // Schedules a flush (once per burst) and calls `done` with its outcome after the
  // batch is synced, or failed.
  void AfterSync(Done done);
  // Schedules a flush for writes that need not be synced (bookkeeping that a crash
  // may lose because it is re-derived or re-sent); `done` runs after the write. The
  // flush is synced anyway when anything in it needs it.
  void AfterWrite(Done done);
  // As AfterSync, as a coroutine: resumes once the current batch is on disk.
  boost::asio::awaitable<Status> Sync();

  // Writes the pending batch now (with the before-flush hook's additions); used at
  // shutdown to finish in-flight writes and where a caller must not suspend.
  void FlushNow();

 private:
  void Flush();
  void Schedule(Done done);

  boost::asio::io_context& io_;
  store::SealedStore& store_;
  store::SealedStore::WriteBatch batch_;
  std::vector<Done> waiting_;
  std::function<void(store::SealedStore::WriteBatch&)> before_flush_;
  Done after_flush_;
  bool flush_scheduled_ = false;
  bool needs_sync_ = false;
};

}  // namespace inmost::core
