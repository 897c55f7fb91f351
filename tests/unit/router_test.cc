// The router: one owner per kind, checked at start-up, and requests answered with
// their owner's sync policy and the store's health gate.
#include "daemon/core/router.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <sstream>

#include "daemon/daemon.h"
#include "tests/unit/temp_dir.h"

namespace inmost::core {
namespace {

namespace asio = boost::asio;

// Runs `request` through `router` on a fresh io_context and returns its answer.
Result<control::Response> HandleNow(Router& router, const control::Request& request) {
  asio::io_context io;
  std::optional<Result<control::Response>> answer;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { answer.emplace(co_await router.Handle(request)); },
      asio::detached);
  io.run();
  return answer ? std::move(*answer) : Result<control::Response>(Unavailable("no answer"));
}

class RouterTest : public ::testing::Test {
 protected:
  Router router_{[this] { return ready_; },
                 [this]() -> asio::awaitable<Status> {
                   ++syncs_;
                   co_return synced_;
                 }};
  Status ready_;
  Status synced_;
  int syncs_ = 0;
};

control::Request StatusRequest() {
  control::Request request;
  request.mutable_status();
  return request;
}

TEST_F(RouterTest, CheckNamesEveryKindWithoutAnOwner) {
  Status checked = router_.Check();
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.message().find("no owner for Request.send"), std::string::npos)
      << checked.ToString();
  EXPECT_NE(checked.message().find("no owner for PeerMessage.file_chunk"), std::string::npos);
  EXPECT_NE(checked.message().find("no owner for Deliver.key_release"), std::string::npos);
}

TEST_F(RouterTest, CheckNamesAKindWithTwoOwners) {
  auto reply = [](const control::Request&) {
    return Result<control::StatusReply>(control::StatusReply());
  };
  router_.OnRequest(control::Request::kStatus, "daemon", Sync::kNone, reply,
                    &control::Response::mutable_status);
  router_.OnRequest(control::Request::kStatus, "intruder", Sync::kNone, reply,
                    &control::Response::mutable_status);
  Status checked = router_.Check();
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.message().find("two owners (daemon, intruder)"), std::string::npos)
      << checked.ToString();
}

TEST_F(RouterTest, TheDaemonGivesEveryKindExactlyOneOwner) {
  // Daemon::Open registers every part's kinds and fails on a gap or a clash.
  test::TempDir dir;
  ASSERT_TRUE(InitDataDir(dir.path() / "data", nullptr).ok());
  asio::io_context io;
  std::ostringstream lines;
  log::Logger log(lines);
  SystemClock clock;
  DaemonOptions options;
  options.data_dir = dir.path() / "data";
  auto daemon = Daemon::Open(io, options, nullptr, clock, log);
  EXPECT_TRUE(daemon.ok()) << daemon.status().ToString();
}

TEST_F(RouterTest, AnUnknownRequestIsUnsupported) {
  auto answer = HandleNow(router_, StatusRequest());
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), Code::kUnsupported);
}

TEST_F(RouterTest, ARequestThatWroteIsSyncedBeforeItsReply) {
  router_.OnRequest(
      control::Request::kStatus, "daemon", Sync::kBeforeReply,
      [](const control::Request&) { return Result<control::StatusReply>(control::StatusReply()); },
      &control::Response::mutable_status);
  ASSERT_TRUE(HandleNow(router_, StatusRequest()).ok());
  EXPECT_EQ(syncs_, 1);

  synced_ = IoError("the disk is full");
  auto answer = HandleNow(router_, StatusRequest());
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), Code::kIoError);
}

TEST_F(RouterTest, AFailedRequestIsNotSynced) {
  router_.OnRequest(
      control::Request::kStatus, "daemon", Sync::kBeforeReply,
      [](const control::Request&) { return Result<control::StatusReply>(NotFound("gone")); },
      &control::Response::mutable_status);
  EXPECT_EQ(HandleNow(router_, StatusRequest()).status().code(), Code::kNotFound);
  EXPECT_EQ(syncs_, 0);
}

TEST_F(RouterTest, AFailingStoreStopsGatedKindsOnly) {
  int gated = 0;
  int always = 0;
  router_.OnRequest(
      control::Request::kStatus, "daemon", Sync::kNone,
      [&](const control::Request&) {
        return ++gated, Result<control::StatusReply>(control::StatusReply());
      },
      &control::Response::mutable_status);
  router_.OnMessage(peer::PeerMessage::kAck, "conversation",
                    [&](const peer::PeerMessage&) { ++gated; });
  router_.OnMessage(
      peer::PeerMessage::kStreamHello, "conversation", [&](const peer::PeerMessage&) { ++always; },
      Gate::kAlways);
  ready_ = IoError("a write failed");
  EXPECT_EQ(HandleNow(router_, StatusRequest()).status().code(), Code::kIoError);
  peer::PeerMessage ack;
  ack.mutable_ack();
  peer::PeerMessage hello;
  hello.mutable_stream_hello();
  router_.Deliver(ack);
  router_.Deliver(hello);
  EXPECT_EQ(gated, 0);
  EXPECT_EQ(always, 1);

  ready_ = Status::Ok();
  router_.Deliver(ack);
  EXPECT_EQ(gated, 1);
}

TEST_F(RouterTest, ItemsReachOnlyTheirOwner) {
  std::vector<std::string> seen;
  router_.OnItem(peer::Deliver::kNudge, "nudges",
                 [&](const peer::Deliver&) { seen.push_back("nudges"); });
  router_.OnItem(peer::Deliver::kPin, "memories",
                 [&](const peer::Deliver&) { seen.push_back("memories"); });
  peer::Deliver pin;
  pin.mutable_pin();
  router_.DeliverItem(pin);
  EXPECT_EQ(seen, std::vector<std::string>{"memories"});
}

}  // namespace
}  // namespace inmost::core
