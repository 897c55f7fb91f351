// The composer (what a Send goes out as) and the Search request across a pair with
// no sockets (test_closeness.py and test_hostile_input.py end to end): the limits
// of a text to the byte, requests that mix what cannot be mixed, and a search that
// finds every word but never a body still withheld.
#include <gtest/gtest.h>

#include "daemon/core/conversation.h"
#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Message;

class ComposerTest : public CorePairTest {
 protected:
  Result<control::SendReply> Send(const std::function<void(control::SendRequest&)>& fill) {
    control::SendRequest send;
    fill(send);
    return a().Send(send);
  }
  std::vector<std::string> Found(CoreSide& side, const std::string& words) {
    control::Request request;
    request.mutable_search()->set_words(words);
    auto found = side.Call(request);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<std::string> texts;
    if (!found.ok()) return texts;
    for (const auto& m : found->search().messages()) texts.push_back(m.text());
    return texts;
  }
};

TEST_F(ComposerTest, ATextIsAtMostItsLimitToTheByteAndValidUtf8) {
  EXPECT_TRUE(a().Send(std::string(core::kMaxTextBytes, 'x')).ok());
  EXPECT_EQ(a().Send(std::string(core::kMaxTextBytes + 1, 'x')).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(a().Send("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(a().Send("bad \xc3(").status().code(), Code::kInvalidArgument);
  pair_.Settle();
  auto got = b().Texts(Message::INCOMING);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].size(), core::kMaxTextBytes);
}

TEST_F(ComposerTest, WhatCannotBeMixedIsRefusedAndNothingIsSent) {
  a().channel().Take();
  EXPECT_EQ(Send([](auto& s) {
              s.set_text("x");
              s.set_gentle(true);
              s.set_urgent(true);
            })
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Send([](auto& s) {
              s.set_text("x");
              s.set_note("a note alone");
            })
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Send([](auto& s) {
              s.set_text("x");
              s.set_send_at_unix_ms(1);
              s.set_file_path("/etc/hostname");
            })
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Send([](auto& s) { s.set_file_path("relative/path"); }).status().code(),
            Code::kInvalidArgument);
  EXPECT_FALSE(Send([](auto& s) { s.set_file_path("/no/such/file"); }).ok());
  a().RunUntilIdle();
  EXPECT_TRUE(a().History().empty());
  EXPECT_TRUE(a().channel().sent().empty());
}

TEST_F(ComposerTest, AnUrgentTextIsMarkedOnBothSides) {
  auto sent = Send([](auto& s) {
    s.set_text("call me");
    s.set_urgent(true);
  });
  ASSERT_TRUE(sent.ok());
  pair_.Settle();
  EXPECT_TRUE(a().Message(sent->id())->urgent());
  EXPECT_TRUE(Newest(b(), Message::INCOMING, Message::TEXT)->urgent());
}

TEST_F(ComposerTest, SearchFindsEveryWordButNeverAWithheldBody) {
  ASSERT_TRUE(a().Send("We went to the Sea at dawn").ok());
  ASSERT_TRUE(b().Send("the sea was cold").ok());
  auto sealed = Send([](auto& s) {
    s.set_text("a secret sea shell");
    s.set_gentle(true);
  });
  ASSERT_TRUE(sealed.ok());
  pair_.Settle();
  EXPECT_EQ(Found(b(), "SEA went"), std::vector<std::string>{"We went to the Sea at dawn"});
  EXPECT_EQ(Found(b(), "sea").size(), 2u);  // Not the sealed one.
  EXPECT_TRUE(Found(b(), "shell").empty());
  EXPECT_EQ(Found(a(), "shell").size(), 1u);  // The sender's own words.
  control::Request open;
  open.mutable_open()->set_id(Newest(b(), Message::INCOMING, Message::ENVELOPE)->id());
  ASSERT_TRUE(b().Call(open).ok());
  pair_.Settle();
  EXPECT_EQ(Found(b(), "shell"), std::vector<std::string>{"a secret sea shell"});
}

}  // namespace
}  // namespace inmost::test
