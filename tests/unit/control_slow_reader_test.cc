// Clients that read their events slowly or never: each is bounded by its own
// output limit, and all together by the server's output budget, which drops a
// client that never reads before one that reads but is behind.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "daemon/control/control_server.h"
#include "daemon/core/clock.h"
#include "tests/unit/control_server_fixture.h"
#include "tests/unit/control_test_client.h"

namespace inmost::control {
namespace {

using test::TestClient;

// Subscribe is served by the session itself; nothing else is asked here.
class NoRequests : public RequestHandler {
 public:
  boost::asio::awaitable<Response> Handle(const Request&) override {
    Response response;
    response.mutable_error()->set_code(static_cast<uint32_t>(Code::kNotFound));
    co_return response;
  }
};

class SlowReaderTest : public test::ControlServerFixture {
 protected:
  RequestHandler& handler() override { return handler_; }

  // A protobuf subscriber whose subscription is confirmed.
  static void Subscribe(TestClient& client) {
    Request subscribe;
    subscribe.set_id(1);
    subscribe.mutable_subscribe();
    ASSERT_TRUE(client.WriteRequest(subscribe));
    ASSERT_TRUE(client.ReadFrame());
  }

  static Event BigEvent() {
    Event big;
    big.mutable_message_received()->mutable_message()->set_text(std::string(16 * 1024, 'x'));
    return big;
  }

  NoRequests handler_;
  // For the tests that drive time; the server's sessions use it until TearDown.
  core::ManualClock manual_clock_{1'000'000};
};

TEST_F(SlowReaderTest, SubscriberThatDoesNotReadIsDisconnected) {
  ControlLimits limits;
  limits.max_queued_output_bytes = 64 * 1024;
  StartServer(limits);
  TestClient slow(socket_path_);
  Subscribe(slow);
  ASSERT_TRUE(WaitFor([this] { return hub_.subscriber_count() == 1; }));
  TestClient reader(socket_path_);
  Subscribe(reader);

  // Far more than the socket buffers plus the queue limit; Publish must never block.
  Event big = BigEvent();
  for (int i = 0; i < 200 && RunOnLoop([this] { return hub_.subscriber_count(); }) == 2; ++i) {
    Publish(big);
    std::optional<ServerMessage> event = reader.ReadFrame();  // The reader keeps up.
    ASSERT_TRUE(event);
  }
  EXPECT_TRUE(WaitFor([this] { return hub_.subscriber_count() == 1; }));
  EXPECT_TRUE(WaitFor([this] { return server_->client_count() == 1; }));
  EXPECT_TRUE(slow.WaitClosed());
}

// A reader far behind has more output queued than a client that never reads, but
// it took some of it since the other stalled, so the budget drops the other.
TEST_F(SlowReaderTest, BudgetDropsTheClientThatNeverReadsBeforeOneThatIsBehind) {
  // In 16 KiB events: the socket buffers take k of them (about 10; the test holds
  // for 1 <= k < 20), the budget is 128.
  constexpr int kBehind = 40;
  constexpr int kWhileTheOtherStalls = 25;
  constexpr int kReadLater = 20;
  ControlLimits limits;
  limits.max_total_queued_output_bytes = 2 << 20;
  StartServer(limits, &manual_clock_);
  Event big = BigEvent();

  // t = 0: the reader falls behind; the other subscribes and stalls too (its
  // kernel buffer is full); together they queue 65 - 2k events, under the budget.
  TestClient reader(socket_path_);
  Subscribe(reader);
  for (int i = 0; i < kBehind; ++i) Publish(big);
  TestClient never_reads(socket_path_);
  Subscribe(never_reads);
  ASSERT_TRUE(WaitFor([this] { return hub_.subscriber_count() == 2; }));
  for (int i = 0; i < kWhileTheOtherStalls; ++i) Publish(big);
  int published = kBehind + kWhileTheOtherStalls;

  // t = 10 s: the reader takes some (the daemon writes more to it), and stays
  // kBehind + kWhileTheOtherStalls - kReadLater - k events queued: 20 more than the other.
  RunOnLoop([this] {
    manual_clock_.Advance(std::chrono::seconds(10));
    return true;
  });
  for (int i = 0; i < kReadLater; ++i) ASSERT_TRUE(reader.ReadFrame()) << "event " << i;

  // Events until the budget is spent: the one that never read goes.
  while (published < 500 && RunOnLoop([this] { return hub_.subscriber_count(); }) == 2) {
    Publish(big);
    ++published;
  }
  ASSERT_LT(published, 500) << "the budget was never spent";
  EXPECT_TRUE(never_reads.WaitClosed());
  for (int i = kReadLater; i < published; ++i) {
    ASSERT_TRUE(reader.ReadFrame()) << "event " << i << " of " << published << " is missing";
  }
  EXPECT_EQ(ClientCount(), 1u);
}

}  // namespace
}  // namespace inmost::control
