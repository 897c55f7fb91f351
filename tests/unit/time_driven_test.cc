// What the core does when time passes, on a ManualClock (core_fixture.h): each test
// moves the clock and sees the effect at once, never a millisecond early, without
// sleeping and without sockets (issue 17, item 4).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include "daemon/crypto/file_cipher.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"
#include "tests/unit/temp_dir.h"

namespace inmost::test {
namespace {

using namespace std::chrono_literals;

// The key releases among what `side` sent and has not handed on yet.
size_t KeyReleasesSent(CoreSide& side) {
  size_t found = 0;
  for (const auto& message : side.channel().sent()) {
    if (message.has_deliver() && message.deliver().has_key_release()) ++found;
  }
  return found;
}

// Moves the clock by `by`, then lets both sides do what fell due and talk.
void AdvanceAndSettle(CorePair& pair, std::chrono::milliseconds by) {
  pair.Advance(by);
  pair.Settle();
}

using TimeDrivenTest = CorePairTest;

TEST_F(TimeDrivenTest, ASealedEnvelopeOpensWhenTheSendersClockReachesItsTime) {
  // Further ahead than the release timer's longest sleep (30 s), so it re-arms.
  const int64_t open_at = pair_.clock().NowUnixMs() + 90'000;
  control::SendRequest send;
  send.set_text("open me in a minute and a half");
  send.set_open_at_unix_ms(open_at);
  auto sent = a().Send(send);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  pair_.Settle();
  auto sealed = Newest(b(), control::Message::INCOMING, control::Message::ENVELOPE);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealed->envelope().state(), control::Message::Envelope::WITHHELD);
  EXPECT_TRUE(sealed->text().empty());

  AdvanceAndSettle(pair_, 30s);
  AdvanceAndSettle(pair_, 30s);
  pair_.Advance(29'999ms);
  a().RunUntilIdle();
  EXPECT_EQ(KeyReleasesSent(a()), 0u) << "a millisecond early";
  pair_.Settle();
  EXPECT_EQ(b().Message(sealed->id())->envelope().state(), control::Message::Envelope::WITHHELD);

  pair_.Advance(1ms);
  a().RunUntilIdle();
  EXPECT_EQ(KeyReleasesSent(a()), 1u);
  EXPECT_EQ(a().Message(sent->id())->envelope().state(), control::Message::Envelope::RELEASED);
  pair_.Settle();
  auto opened = b().Message(sealed->id());
  EXPECT_EQ(opened->envelope().state(), control::Message::Envelope::OPENED);
  EXPECT_EQ(opened->text(), "open me in a minute and a half");
  EXPECT_EQ(opened->envelope().opened_at_unix_ms(), open_at);
}

TEST_F(TimeDrivenTest, AScheduledMessageLeavesAtItsTime) {
  control::SendRequest send;
  send.set_text("good morning");
  send.set_send_at_unix_ms(pair_.clock().NowUnixMs() + 10'000);
  ASSERT_TRUE(a().Send(send).ok());
  AdvanceAndSettle(pair_, 9'999ms);
  EXPECT_TRUE(b().Texts(control::Message::INCOMING).empty());
  AdvanceAndSettle(pair_, 1ms);
  EXPECT_EQ(b().Texts(control::Message::INCOMING), std::vector<std::string>{"good morning"});
}

Result<control::Response> Nudge(CoreSide& side) {
  control::Request request;
  request.mutable_nudge()->set_kind(control::Nudge::THINKING_OF_YOU);
  return side.Call(request);
}

TEST_F(TimeDrivenTest, TheNudgeBudgetRefillsAnHourAfterTheNudgesItCounts) {
  ASSERT_TRUE(Config(b(), "nudge-budget", "2").ok());
  pair_.Settle();  // a hears b's budget.
  ASSERT_TRUE(Nudge(a()).ok());
  AdvanceAndSettle(pair_, 10min);
  ASSERT_TRUE(Nudge(a()).ok());
  EXPECT_EQ(Nudge(a()).status().code(), Code::kResourceExhausted);

  // The first nudge counts for a whole hour, to the millisecond.
  AdvanceAndSettle(pair_, 50min);
  EXPECT_EQ(Nudge(a()).status().code(), Code::kResourceExhausted);
  AdvanceAndSettle(pair_, 1ms);
  ASSERT_TRUE(Nudge(a()).ok());
  EXPECT_EQ(Nudge(a()).status().code(), Code::kResourceExhausted);
  pair_.Settle();
  EXPECT_EQ(All(b(), control::Message::INCOMING, control::Message::NUDGE).size(), 3u);
}

TEST_F(TimeDrivenTest, QuietEndsOnTimeAndSumsUpWhatItHeldBack) {
  control::Request quiet;
  quiet.mutable_quiet()->set_for_seconds(60);
  auto reply = a().Call(quiet);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_TRUE(reply->quiet().quiet());
  pair_.Settle();
  a().TakeEvents();

  ASSERT_TRUE(b().Send("are you there?").ok());
  pair_.Settle();
  auto is_announced = [](const control::Event& e) {
    return e.has_message_received() || e.has_quiet_summary();
  };
  for (const auto& event : a().TakeEvents()) EXPECT_FALSE(is_announced(event));

  AdvanceAndSettle(pair_, 59'999ms);
  EXPECT_TRUE(a()->boundaries.QuietNow());
  for (const auto& event : a().TakeEvents()) EXPECT_FALSE(is_announced(event));

  AdvanceAndSettle(pair_, 1ms);
  EXPECT_FALSE(a()->boundaries.QuietNow());
  int summaries = 0;
  for (const auto& event : a().TakeEvents()) {
    if (!event.has_quiet_summary()) continue;
    ++summaries;
    EXPECT_EQ(event.quiet_summary().messages(), 1u);
  }
  EXPECT_EQ(summaries, 1);
  ASSERT_TRUE(b().Send("now?").ok());
  pair_.Settle();
  bool announced = false;
  for (const auto& event : a().TakeEvents()) announced = announced || event.has_message_received();
  EXPECT_TRUE(announced) << "after the quiet, messages are announced again";
}

// Four chunks a second, in bursts of two.
constexpr uint64_t kRate = 4 * crypto::kSealedChunkSize;

CoreOptions RateLimited() {
  CoreOptions options;
  options.transfer_rate_bytes_per_second = kRate;
  return options;
}

uint64_t ChunksSent(CoreSide& side) {
  auto transfers = side->files.Transfers();
  return transfers.transfers_size() == 0 ? 0 : transfers.transfers(0).chunks_sent();
}

TEST(TimeDrivenFiles, TheRateLimitHoldsChunksUntilTimeAllowsThem) {
  CorePair pair(RateLimited());
  ASSERT_TRUE(pair.Open().ok());
  pair.LinkUp();
  TempDir source_dir;
  const auto path = source_dir.path() / "eight-chunks.bin";
  std::ofstream(path, std::ios::binary) << std::string(8 * crypto::kChunkSize, 'x');
  control::SendRequest send;
  send.set_file_path(path.string());
  ASSERT_TRUE(pair.a().Send(send).ok());
  pair.Settle();
  EXPECT_EQ(ChunksSent(pair.a()), 2u) << "a burst, then the bucket is empty";

  AdvanceAndSettle(pair, 249ms);
  EXPECT_EQ(ChunksSent(pair.a()), 2u) << "a millisecond early";
  AdvanceAndSettle(pair, 1ms);
  EXPECT_EQ(ChunksSent(pair.a()), 3u);
  AdvanceAndSettle(pair, 250ms);
  EXPECT_EQ(ChunksSent(pair.a()), 4u);
  // A long pause refills no more than a burst.
  AdvanceAndSettle(pair, 10s);
  EXPECT_EQ(ChunksSent(pair.a()), 6u);
  AdvanceAndSettle(pair, 500ms);
  EXPECT_EQ(ChunksSent(pair.a()), 8u);
}

}  // namespace
}  // namespace inmost::test
