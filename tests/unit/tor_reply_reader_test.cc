// Tests of ReplyReader (daemon/tor/reply_reader.h): Tor's control-port replies split out
// of a byte stream however it arrives, data blocks dot-unstuffed, and every malformed,
// oversized or mixed-up input refused with a clear, sticky error.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "daemon/crypto/bytes.h"
#include "daemon/codec/tor/reply_reader.h"

namespace inmost::tor {
namespace {

// Feeds `text` in pieces of `step` bytes and collects every reply; stops at an error.
struct Collected {
  std::vector<ControlReply> replies;
  Status error;
};

Collected ReadAll(std::string_view text, size_t step = 1 << 20, ReplyLimits limits = {}) {
  ReplyReader reader(limits);
  Collected out;
  for (size_t at = 0; at < text.size(); at += step) {
    reader.Feed(crypto::AsBytes(text.substr(at, step)));
    for (;;) {
      auto next = reader.Next();
      if (!next.ok()) {
        out.error = next.status();
        return out;
      }
      if (!next->has_value()) break;
      out.replies.push_back(std::move(**next));
    }
  }
  return out;
}

constexpr std::string_view kGetInfo =
    "250-version=0.4.9.11\r\n"
    "250+config-text=\r\n"
    "SocksPort 9050\r\n"
    "..hidden by a dot\r\n"
    "\r\n"
    "ControlPort 9051\r\n"
    ".\r\n"
    "250 OK\r\n";

TEST(TorReplyReader, SplitsMidDataAndEndLines) {
  for (size_t step : {size_t{1}, size_t{2}, size_t{7}, kGetInfo.size()}) {
    Collected got = ReadAll(kGetInfo, step);
    ASSERT_TRUE(got.error.ok()) << got.error.ToString();
    ASSERT_EQ(got.replies.size(), 1u) << "step " << step;
    const ControlReply& reply = got.replies[0];
    EXPECT_EQ(reply.status, 250);
    EXPECT_TRUE(reply.ok());
    EXPECT_FALSE(reply.is_event());
    ASSERT_EQ(reply.lines.size(), 3u);
    EXPECT_EQ(reply.lines[0].text, "version=0.4.9.11");
    EXPECT_FALSE(reply.lines[0].has_data);
    EXPECT_EQ(reply.lines[1].text, "config-text=");
    EXPECT_TRUE(reply.lines[1].has_data);
    EXPECT_EQ(reply.lines[1].data, "SocksPort 9050\n.hidden by a dot\n\nControlPort 9051");
    EXPECT_EQ(reply.final_text(), "OK");
  }
}

TEST(TorReplyReader, ReadsEventsBetweenRepliesAndBareLineFeeds) {
  Collected got = ReadAll(
      "650 HS_DESC UPLOAD abc UNKNOWN $F~n\r\n250 OK\n650-STATUS_CLIENT NOTICE\r\n650 OK\r\n"
      "552 Unrecognized key \"x\"\r\n");
  ASSERT_TRUE(got.error.ok()) << got.error.ToString();
  ASSERT_EQ(got.replies.size(), 4u);
  EXPECT_TRUE(got.replies[0].is_event());
  EXPECT_EQ(got.replies[0].final_text(), "HS_DESC UPLOAD abc UNKNOWN $F~n");
  EXPECT_TRUE(got.replies[1].ok());
  EXPECT_EQ(got.replies[2].lines.size(), 2u);
  EXPECT_EQ(got.replies[3].status, 552);
  EXPECT_FALSE(got.replies[3].ok());
}

TEST(TorReplyReader, EmptyDataBlockAndEmptyText) {
  Collected got = ReadAll("250+x=\r\n.\r\n250 \r\n");
  ASSERT_TRUE(got.error.ok()) << got.error.ToString();
  ASSERT_EQ(got.replies.size(), 1u);
  EXPECT_TRUE(got.replies[0].lines[0].has_data);
  EXPECT_EQ(got.replies[0].lines[0].data, "");
  EXPECT_EQ(got.replies[0].final_text(), "");
}

TEST(TorReplyReader, RefusesWhatIsNotAReply) {
  struct Case {
    const char* input;
    const char* message;
  };
  const Case cases[] = {
      {"hello there\r\n", "without a 3-digit status code"},
      {"25\r\n", "too short for a status code"},
      {"250\r\n", "too short for a status code"},
      {"250*OK\r\n", "neither '-', '+' nor a space"},
      {"250-a\r\n251 OK\r\n", "different status codes (250 and 251)"},
      {"250 O\x01K\r\n", "a control character in a reply line"},
      {"250 O\rK\r\n", "a control character in a reply line"},
      {"250+d=\r\nbad\x7f\r\n.\r\n250 OK\r\n", "a control character in a data block"},
  };
  for (const Case& c : cases) {
    Collected got = ReadAll(c.input);
    EXPECT_EQ(got.error.code(), Code::kCorruption) << c.input;
    EXPECT_NE(got.error.message().find(c.message), std::string::npos) << got.error.message();
    EXPECT_NE(got.error.message().find("not a control-protocol reply"), std::string::npos);
  }
}

TEST(TorReplyReader, NulByteInsideALineIsRefused) {
  const std::string input("250 O\0K\r\n", 9);
  Collected got = ReadAll(input);
  EXPECT_EQ(got.error.code(), Code::kCorruption);
}

TEST(TorReplyReader, RefusesALongLineBeforeItEnds) {
  ReplyLimits limits;
  limits.max_line_bytes = 64;
  // Without a line feed: refused once 64 bytes are buffered, not at the end of time.
  Collected got = ReadAll("250-" + std::string(100, 'a'), 1, limits);
  EXPECT_EQ(got.error.code(), Code::kResourceExhausted);
  EXPECT_NE(got.error.message().find("longer than 64 bytes"), std::string::npos);
  // With one, in a single read.
  got = ReadAll("250-" + std::string(100, 'a') + "\r\n", 1 << 20, limits);
  EXPECT_EQ(got.error.code(), Code::kResourceExhausted);
  EXPECT_NE(got.error.message().find("a line of 106 bytes"), std::string::npos);
  // Exactly at the limit, CRLF included, is fine.
  got = ReadAll("250 " + std::string(58, 'a') + "\r\n", 1, limits);
  EXPECT_TRUE(got.error.ok()) << got.error.ToString();
  EXPECT_EQ(got.replies.size(), 1u);
}

TEST(TorReplyReader, DefaultLineLimitIs16KiB) {
  Collected got = ReadAll("250 " + std::string(kMaxReplyLineBytes, 'x') + "\r\n", 4096);
  EXPECT_EQ(got.error.code(), Code::kResourceExhausted);
}

TEST(TorReplyReader, RefusesTooLongAndTooManyLinedReplies) {
  ReplyLimits limits;
  limits.max_reply_bytes = 100;
  std::string long_reply = "250+data=\r\n";
  for (int i = 0; i < 20; ++i) long_reply += "0123456789\r\n";
  Collected got = ReadAll(long_reply, 1 << 20, limits);
  EXPECT_EQ(got.error.code(), Code::kResourceExhausted);
  EXPECT_NE(got.error.message().find("reply from tor's control port is longer than 100"),
            std::string::npos);

  limits = ReplyLimits();
  limits.max_lines = 3;
  got = ReadAll("250-a\r\n250-b\r\n250-c\r\n250 d\r\n", 1 << 20, limits);
  EXPECT_EQ(got.error.code(), Code::kResourceExhausted);
  EXPECT_NE(got.error.message().find("more than 3 lines"), std::string::npos);
}

TEST(TorReplyReader, ErrorsAreStickyAndInputAfterThemIsDropped) {
  ReplyReader reader;
  reader.Feed(crypto::AsBytes("garbage\r\n"));
  auto first = reader.Next();
  ASSERT_FALSE(first.ok());
  reader.Feed(crypto::AsBytes("250 OK\r\n"));
  auto second = reader.Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), first.status().message());
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(TorReplyReader, KnowsWhenAReplyIsUnfinished) {
  ReplyReader reader;
  EXPECT_FALSE(reader.mid_reply());
  reader.Feed(crypto::AsBytes("250-version=1\r\n"));
  auto next = reader.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  EXPECT_TRUE(reader.mid_reply());  // A line in, the end line still to come.
  EXPECT_EQ(reader.buffered(), 0u);
  reader.Feed(crypto::AsBytes("250 O"));
  next = reader.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  reader.Feed(crypto::AsBytes("K\r\n"));
  next = reader.Next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_FALSE(reader.mid_reply());
}

TEST(TorReplyReader, WipeZeroesEveryLine) {
  Collected got = ReadAll("250-PrivateKey=ED25519-V3:c2VjcmV0\r\n250 OK\r\n");
  ASSERT_EQ(got.replies.size(), 1u);
  got.replies[0].Wipe();
  for (const ReplyLine& line : got.replies[0].lines) {
    EXPECT_TRUE(line.text.empty());
    EXPECT_TRUE(line.data.empty());
  }
}

}  // namespace
}  // namespace inmost::tor
