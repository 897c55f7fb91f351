#include "daemon/core/group_commit.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace inmost::core {

namespace asio = boost::asio;

GroupCommit::GroupCommit(asio::io_context& io, store::SealedStore& store)
    : io_(io), store_(store), batch_(store), writer_([this] { WriterLoop(); }) {}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

void GroupCommit::AfterSync(Done done) {
  needs_sync_ = true;
  Schedule(std::move(done));
}

void GroupCommit::AfterWrite(Done done) {
  Schedule(std::move(done));
}

void GroupCommit::Schedule(Done done) {
  waiting_.push_back(std::move(done));
  if (submit_posted_ || write_in_flight_) return;  // The write's end submits the rest.
  submit_posted_ = true;
  // Posting lets every handler that is already ready add its writes first: that is
  // what gathers a burst into one batch.
  asio::post(io_, [this] {
    submit_posted_ = false;
    Submit();
  });
}

asio::awaitable<Status> GroupCommit::Sync() {
  // A timer that never expires on its own serves as the completion signal.
  auto signal = std::make_shared<asio::steady_timer>(io_, asio::steady_timer::time_point::max());
  auto result = std::make_shared<Status>();
  AfterSync([signal, result](const Status& status) {
    *result = status;
    signal->cancel();
  });
  boost::system::error_code ignored;
  co_await signal->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  co_return *result;
}

GroupCommit::Job GroupCommit::TakeJob() {
  if (before_flush_) before_flush_(batch_);
  Job job{store::SealedStore::WriteBatch(store_),
          needs_sync_ ? store::Durability::kSynced : store::Durability::kLazy,
          {},
          {}};
  std::swap(job.batch, batch_);
  job.done.swap(waiting_);
  job.steps.swap(steps_);
  needs_sync_ = false;
  return job;
}

void GroupCommit::Finish(Job& job, const Status& status) {
  if (after_flush_) after_flush_(status);
  for (auto& d : job.done) d(status);
}

Status GroupCommit::Write(Job& job) {
  for (const WriterStep& step : job.steps) {
    if (Status status = step(job.batch); !status.ok()) return status;
  }
  return job.batch.size() > 0 ? store_.Write(job.batch, job.durability) : Status::Ok();
}

void GroupCommit::Submit() {
  if (write_in_flight_ || (batch_.size() == 0 && waiting_.empty())) return;
  write_in_flight_ = true;
  {
    std::lock_guard lock(mu_);
    job_.emplace(TakeJob());
  }
  cv_.notify_all();
}

void GroupCommit::WriterLoop() {
  while (true) {
    std::optional<Job> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || job_.has_value(); });
      if (!job_) return;  // Stopping with nothing to write.
      job.swap(job_);
      writer_busy_ = true;
    }
    Status status = Write(*job);
    {
      std::lock_guard lock(mu_);
      writer_busy_ = false;
    }
    cv_.notify_all();
    asio::post(io_, [this, job = std::make_shared<Job>(std::move(*job)), status]() mutable {
      write_in_flight_ = false;
      Finish(*job, status);
      Submit();  // What gathered during the write goes next, at once.
    });
  }
}

void GroupCommit::WaitForWriterIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !job_.has_value() && !writer_busy_; });
}

void GroupCommit::DiscardPending(const Status& status) {
  batch_.Clear();
  steps_.clear();
  needs_sync_ = false;
  std::vector<Done> waiting;
  waiting.swap(waiting_);
  for (auto& d : waiting) d(status);
}

void GroupCommit::FlushNow() {
  // The write in progress (if any) finishes first; its callbacks still run later
  // from the io_context, and LevelDB keeps the two writes in order.
  WaitForWriterIdle();
  needs_sync_ = true;
  Job job = TakeJob();
  Status status = Write(job);
  Finish(job, status);
}

}  // namespace inmost::core
