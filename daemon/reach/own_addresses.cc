#include "daemon/reach/own_addresses.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <utility>

namespace inmost::reach {

namespace asio = boost::asio;

namespace {

std::string Join(const std::vector<std::string>& addresses) {
  std::string text;
  for (const auto& address : addresses) text += (text.empty() ? "" : ", ") + address;
  return text.empty() ? "none" : text;
}

}  // namespace

OwnAddresses::OwnAddresses(asio::io_context& io, const core::Clock& clock, log::Logger& log,
                           std::chrono::milliseconds interval, Compute compute, Changed changed)
    : io_(io),
      log_(log),
      interval_(interval),
      compute_(std::move(compute)),
      changed_(std::move(changed)),
      next_check_(io, clock) {}

void OwnAddresses::Start() {
  if (started_ || stopped_) return;
  started_ = true;
  current_ = compute_();
  changed_(current_);
  asio::co_spawn(io_, Watch(), asio::detached);
}

void OwnAddresses::Check() {
  if (!started_ || stopped_) return;
  auto now = compute_();
  if (now == current_) return;
  log_.Info("own addresses changed: " + Join(now) + " (were " + Join(current_) +
            "); telling the partner");
  current_ = std::move(now);
  changed_(current_);
}

void OwnAddresses::Stop() {
  stopped_ = true;
  next_check_.Cancel();
}

asio::awaitable<void> OwnAddresses::Watch() {
  while (!stopped_) {
    co_await next_check_.WaitFor(interval_);
    Check();
  }
}

}  // namespace inmost::reach
