// Waiting for the partner's acknowledgements: woken by the Ack itself (OnAck cancels
// the waiters), never by polling.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/core/conversation.h"

namespace inmost::core {

boost::asio::awaitable<bool> Conversation::AllAcknowledged(
    std::chrono::steady_clock::duration within) {
  if (unacknowledged() == 0) co_return true;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, within);
  ack_waiters_.push_back(&timer);
  boost::system::error_code ignored;  // Cancelled: everything was acknowledged.
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  std::erase(ack_waiters_, &timer);
  co_return unacknowledged() == 0;
}

}  // namespace inmost::core
