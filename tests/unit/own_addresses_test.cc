// The watch on this daemon's own addresses (daemon/reach/own_addresses.h) on a
// ManualClock: it reports the addresses at the start and then only when they change,
// once each time, at the next check or at once when told.
#include "daemon/reach/own_addresses.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace inmost::reach {
namespace {

using namespace std::chrono_literals;
using Addresses = std::vector<std::string>;

constexpr auto kInterval = 1000ms;

class OwnAddressesTest : public ::testing::Test {
 protected:
  // Moves the clock, then runs what it woke.
  void Pass(std::chrono::milliseconds by) {
    clock_.Advance(by);
    io_.poll();
  }

  core::ManualClock clock_{1'700'000'000'000};
  boost::asio::io_context io_;
  // poll() would stop an io_context that ran out of work, and poll no more.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::ostringstream log_text_;
  log::Logger log_{log_text_};
  Addresses now_ = {"192.168.1.20:7433"};  // What the machine has at the moment.
  int computed_ = 0;
  std::vector<Addresses> reports_;
  OwnAddresses watch_{io_,
                      clock_,
                      log_,
                      kInterval,
                      [this] {
                        ++computed_;
                        return now_;
                      },
                      [this](const Addresses& addresses) { reports_.push_back(addresses); }};
};

TEST_F(OwnAddressesTest, StartReportsTheAddressesAtOnce) {
  watch_.Check();
  EXPECT_TRUE(reports_.empty()) << "nothing is checked before the start";
  watch_.Start();
  ASSERT_EQ(reports_.size(), 1u) << "reported before any poll";
  EXPECT_EQ(reports_[0], now_);
  EXPECT_EQ(watch_.current(), now_);
  watch_.Start();
  EXPECT_EQ(reports_.size(), 1u) << "a second start does nothing";
}

TEST_F(OwnAddressesTest, AChangeIsReportedOnceAtTheNextCheck) {
  watch_.Start();
  io_.poll();
  now_ = {"192.168.1.20:7433", "203.0.113.7:7433"};
  Pass(kInterval - 1ms);
  EXPECT_EQ(reports_.size(), 1u) << "a millisecond early";
  Pass(1ms);
  ASSERT_EQ(reports_.size(), 2u);
  EXPECT_EQ(reports_[1], now_);
  EXPECT_EQ(watch_.current(), now_);
  EXPECT_NE(log_text_.str().find("own addresses changed: 192.168.1.20:7433, 203.0.113.7:7433 "
                                 "(were 192.168.1.20:7433)"),
            std::string::npos)
      << log_text_.str();
  Pass(kInterval);
  Pass(kInterval);
  EXPECT_EQ(reports_.size(), 2u) << "the same change is reported once";
}

TEST_F(OwnAddressesTest, NoChangeIsNeverReported) {
  watch_.Start();
  io_.poll();
  for (int i = 0; i < 5; ++i) Pass(kInterval);
  EXPECT_EQ(reports_.size(), 1u);
  EXPECT_EQ(computed_, 6) << "checked at every interval all the same";
  EXPECT_TRUE(log_text_.str().empty()) << log_text_.str();
}

TEST_F(OwnAddressesTest, LosingEveryAddressIsAChangeToo) {
  watch_.Start();
  io_.poll();
  now_.clear();
  Pass(kInterval);
  ASSERT_EQ(reports_.size(), 2u);
  EXPECT_TRUE(reports_[1].empty());
  EXPECT_NE(log_text_.str().find("own addresses changed: none"), std::string::npos);
}

TEST_F(OwnAddressesTest, CheckReportsAChangeAtOnce) {
  watch_.Start();
  io_.poll();
  now_ = {"192.168.1.21:7433"};
  watch_.Check();
  ASSERT_EQ(reports_.size(), 2u) << "without waiting for the interval";
  EXPECT_EQ(reports_[1], now_);
  watch_.Check();
  Pass(kInterval);
  EXPECT_EQ(reports_.size(), 2u);
}

TEST_F(OwnAddressesTest, StopEndsTheChecks) {
  watch_.Start();
  io_.poll();
  watch_.Stop();
  io_.poll();
  EXPECT_EQ(clock_.waiting_timers(), 0u);
  now_ = {"192.168.1.21:7433"};
  Pass(5 * kInterval);
  watch_.Check();
  EXPECT_EQ(reports_.size(), 1u);
  EXPECT_EQ(computed_, 1);
  watch_.Start();
  EXPECT_EQ(reports_.size(), 1u) << "a stopped watch stays stopped";
}

}  // namespace
}  // namespace inmost::reach
