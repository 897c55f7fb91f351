// Long reads of the whole store (a search, a backup) run on a thread of their own,
// so the daemon's one io thread keeps serving the partner and other clients
// meanwhile. The work must only touch thread-safe state (the SealedStore), never
// the conversation's in-memory state; its result comes back on the io thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <thread>

namespace inmost::core {

class BackgroundWork {
 public:
  explicit BackgroundWork(boost::asio::io_context& io) : io_(io) {}
  BackgroundWork(const BackgroundWork&) = delete;
  BackgroundWork& operator=(const BackgroundWork&) = delete;
  ~BackgroundWork() { JoinAll(); }

  // Runs `work` on a new thread and resumes with its result on the io thread.
  // `work` is copied before the first suspension. (By reference: GCC 12 frees a
  // by-value coroutine parameter of a non-trivial type twice.)
  template <typename T>
  boost::asio::awaitable<T> Run(const std::function<T()>& work) {
    namespace asio = boost::asio;
    struct Outcome {
      explicit Outcome(asio::io_context& io) : done(io, asio::steady_timer::time_point::max()) {}
      asio::steady_timer done;  // Cancelled (on the io thread) once `result` is set.
      std::optional<T> result;
    };
    auto outcome = std::make_shared<Outcome>(io_);
    threads_.emplace_back([this, outcome, work] {
      outcome->result = work();
      asio::post(io_, [outcome] { outcome->done.cancel(); });
    });
    auto thread = std::prev(threads_.end());
    boost::system::error_code ignored;
    co_await outcome->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (thread->joinable()) thread->join();
    threads_.erase(thread);
    co_return std::move(*outcome->result);
  }

  // Waits for every running piece of work (at shutdown).
  void JoinAll() {
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  boost::asio::io_context& io_;
  std::list<std::thread> threads_;
};

}  // namespace inmost::core
