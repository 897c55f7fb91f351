// What the CLI's unit tests share: predictable local time (TZ=UTC0) and a fixture
// that runs `inmost` commands against a real ControlServer whose handler records
// every request and answers as each test file needs.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/dispatch.h"
#include "cli/exit_code.h"
#include "tests/unit/control_server_fixture.h"

namespace inmost::test {

// Runs with TZ=UTC0 so local times in the output are predictable.
class UtcTest {
 public:
  UtcTest() {
    if (const char* tz = std::getenv("TZ")) saved_ = tz;
    ::setenv("TZ", "UTC0", 1);
    ::tzset();
  }
  ~UtcTest() {
    if (saved_) {
      ::setenv("TZ", saved_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  UtcTest(const UtcTest&) = delete;
  UtcTest& operator=(const UtcTest&) = delete;

 private:
  std::optional<std::string> saved_;
};

// Records every request (on the server's thread) and answers with Answer().
class RecordingHandler : public control::RequestHandler {
 public:
  boost::asio::awaitable<control::Response> Handle(const control::Request& request) override {
    requests_.push_back(request);
    co_return Answer(request);
  }
  std::vector<control::Request> requests_;

 protected:
  virtual control::Response Answer(const control::Request& request) = 0;
};

class CliFixture : public ControlServerFixture {
 protected:
  RecordingHandler& handler() override = 0;
  void SetUp() override { StartServer(); }

  // Runs `inmost --socket <the test server> args...` with `input` as standard input.
  int Cli(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--socket", socket_path_});
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    return cli::RunCli(args, in, out_, err_);
  }
  size_t RequestCount() {
    return RunOnLoop([this] { return handler().requests_.size(); });
  }
  // The request `back` places before the last (0: the last).
  control::Request RequestFromEnd(size_t back) {
    return RunOnLoop([this, back] {
      const auto& requests = handler().requests_;
      return requests.size() <= back ? control::Request() : requests[requests.size() - 1 - back];
    });
  }
  control::Request LastRequest() {
    return RunOnLoop([this] {
      return handler().requests_.empty() ? control::Request() : handler().requests_.back();
    });
  }
  // Runs a command that must fail with a usage error without asking the daemon.
  void ExpectUsageError(std::vector<std::string> args, const std::string& message_part) {
    size_t before = RequestCount();
    std::string shown;
    for (const auto& arg : args) shown += arg + ' ';
    EXPECT_EQ(Cli(args), cli::kExitUsage) << shown;
    EXPECT_NE(err_.str().find(message_part), std::string::npos)
        << shown << "\nstderr: " << err_.str();
    EXPECT_EQ(RequestCount(), before) << shown << " reached the daemon";
  }
  bool OutHas(const std::string& part) const { return out_.str().find(part) != std::string::npos; }

  UtcTest utc_;
  std::ostringstream out_;
  std::ostringstream err_;
};

}  // namespace inmost::test
