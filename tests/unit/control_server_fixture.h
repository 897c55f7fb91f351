// A test fixture that runs a real ControlServer on its own io_context thread in a
// temporary directory, so tests talk to it through real Unix sockets. Derived
// fixtures supply the RequestHandler; the server stops in TearDown, before they go.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "daemon/control/control_server.h"
#include "daemon/core/clock.h"
#include "daemon/core/event_hub.h"
#include "daemon/log/logger.h"
#include "tests/unit/temp_dir.h"

namespace inmost::test {

class ControlServerFixture : public ::testing::Test {
 public:
  // How long any wait in these tests may take before it counts as a failure.
  static constexpr auto kDeadline = std::chrono::seconds(5);

 protected:
  // The handler the server answers with; it must outlive TearDown.
  virtual control::RequestHandler& handler() = 0;

  void TearDown() override {
    if (loop_.joinable()) {
      RunOnLoop([this] {
        if (server_) server_->Stop();
        return true;
      });
      work_.reset();
      io_.stop();
      loop_.join();
    }
    server_.reset();
  }

  // Starts the server with `limits` and its io_context thread, on the system clock
  // unless given another (which must outlive TearDown and be used on the loop).
  void StartServer(control::ControlLimits limits = {}, const core::Clock* clock = nullptr) {
    server_ = std::make_unique<control::ControlServer>(
        io_, socket_path_, handler(), hub_, clock != nullptr ? *clock : clock_, logger_, limits);
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    loop_ = std::thread([this] { io_.run(); });
  }

  // Runs `task` on the server's thread and returns its result.
  template <typename Task>
  auto RunOnLoop(Task task) -> decltype(task()) {
    std::packaged_task<decltype(task())()> packaged(std::move(task));
    auto result = packaged.get_future();
    boost::asio::post(io_, [&packaged] { packaged(); });
    if (result.wait_for(kDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "the io_context thread is stuck";
      std::abort();  // `packaged` would dangle; nothing sensible is left to do.
    }
    return result.get();
  }

  // Polls `condition` on the server's thread until it holds or the deadline passes.
  template <typename Condition>
  bool WaitFor(Condition condition) {
    auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (!RunOnLoop(condition)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  size_t ClientCount() {
    return RunOnLoop([this] { return server_->client_count(); });
  }

  void Publish(const control::Event& event) {
    RunOnLoop([this, event] {
      hub_.Publish(event);
      return true;
    });
  }

  TempDir dir_;
  std::string socket_path_ = (dir_.path() / "control.sock").string();
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  core::EventHub hub_;
  core::SystemClock clock_;
  std::ostringstream log_;  // Written on the loop thread only; never read concurrently.
  log::Logger logger_{log_, log::Level::kDebug};
  std::unique_ptr<control::ControlServer> server_;
  std::thread loop_;
};

}  // namespace inmost::test
