// Waiting for the partner's acknowledgements: woken by the Ack itself (OnAck cancels
// the waiters), never by polling.
#include <boost/asio/this_coro.hpp>

#include "daemon/core/conversation.h"

namespace inmost::core {

boost::asio::awaitable<bool> Conversation::AllAcknowledged(SteadyDuration within) {
  if (unacknowledged() == 0) co_return true;
  Timer timer(co_await boost::asio::this_coro::executor, clock_);
  ack_waiters_.push_back(&timer);
  co_await timer.WaitFor(within);  // Cancelled: everything was acknowledged.
  std::erase(ack_waiters_, &timer);
  co_return unacknowledged() == 0;
}

}  // namespace inmost::core
