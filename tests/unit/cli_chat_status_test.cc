// The words of `inmost chat`'s status line: the partner's "writing…" shows while the
// link is up and until its time passes, by the name they go by.
#include <gtest/gtest.h>

#include "cli/chat_status.h"

namespace inmost::cli {
namespace {

constexpr int64_t kNow = 1'709'294'400'000;

ChatStatus LinkedTo(const std::string& name) {
  ChatStatus status;
  status.connected = true;
  status.paired = true;
  status.link_up = true;
  status.speakers.partner = name;
  return status;
}

TEST(CliChatStatus, ThePartnerWritingShowsUntilItsTimePasses) {
  ChatStatus status = LinkedTo("Sam");
  EXPECT_EQ(FormatChatStatus(status, kNow).find("writing"), std::string::npos);
  status.partner_writing_until_unix_ms = kNow + 6000;
  EXPECT_NE(FormatChatStatus(status, kNow).find("Sam is writing…"), std::string::npos)
      << FormatChatStatus(status, kNow);
  EXPECT_NE(FormatChatStatus(status, kNow + 5999).find("Sam is writing…"), std::string::npos);
  EXPECT_EQ(FormatChatStatus(status, kNow + 6000).find("writing"), std::string::npos);
}

TEST(CliChatStatus, NoWritingWhileTheLinkIsDown) {
  ChatStatus status = LinkedTo("partner");
  status.partner_writing_until_unix_ms = kNow + 6000;
  EXPECT_NE(FormatChatStatus(status, kNow).find("partner is writing…"), std::string::npos);
  status.link_up = false;
  EXPECT_EQ(FormatChatStatus(status, kNow), "link down");
}

}  // namespace
}  // namespace inmost::cli
