#include "daemon/core/group_commit.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace inmost::core {

namespace asio = boost::asio;

GroupCommit::GroupCommit(asio::io_context& io, store::SealedStore& store)
    : io_(io), store_(store), batch_(store) {}

void GroupCommit::AfterSync(Done done) {
  needs_sync_ = true;
  Schedule(std::move(done));
}

void GroupCommit::AfterWrite(Done done) {
  Schedule(std::move(done));
}

void GroupCommit::Schedule(Done done) {
  waiting_.push_back(std::move(done));
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // Posting lets every handler that is already ready add its writes first: that is
  // what gathers a burst into one batch.
  asio::post(io_, [this] { Flush(); });
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

void GroupCommit::FlushNow() {
  needs_sync_ = true;
  Flush();
}

void GroupCommit::Flush() {
  flush_scheduled_ = false;
  if (before_flush_) before_flush_(batch_);
  auto durability = needs_sync_ ? store::Durability::kSynced : store::Durability::kLazy;
  needs_sync_ = false;
  Status status = batch_.size() > 0 ? store_.Write(batch_, durability) : Status::Ok();
  batch_.Clear();
  if (after_flush_) after_flush_(status);
  std::vector<Done> done;
  done.swap(waiting_);
  for (auto& d : done) d(status);
}

}  // namespace inmost::core
