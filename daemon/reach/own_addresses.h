// Notices when this daemon's own direct addresses change (an interface's address, the
// router's external one) by asking for them every check interval and when told a
// source changed, and reports each change once, so the partner hears of it at once.
// What the addresses are is the caller's to compute (Daemon::DirectAddresses); this
// only watches. It never dials, listens or talks to the partner itself.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/timer.h"
#include "daemon/log/logger.h"

namespace inmost::reach {

class OwnAddresses {
 public:
  using Compute = std::function<std::vector<std::string>()>;
  using Changed = std::function<void(const std::vector<std::string>&)>;

  // `compute` gives the addresses now; `changed` gets them whenever they differ from
  // the last ones reported. `io`, `clock` and `log` must outlive it.
  OwnAddresses(boost::asio::io_context& io, const core::Clock& clock, log::Logger& log,
               std::chrono::milliseconds interval, Compute compute, Changed changed);

  // Reports the addresses now, then checks every interval.
  void Start();
  // Checks now (a source said it changed).
  void Check();
  void Stop();

  const std::vector<std::string>& current() const { return current_; }

 private:
  boost::asio::awaitable<void> Watch();

  boost::asio::io_context& io_;
  log::Logger& log_;
  const std::chrono::milliseconds interval_;
  Compute compute_;
  Changed changed_;
  core::Timer next_check_;
  std::vector<std::string> current_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace inmost::reach
