// Drafts on one core (test_typing_drafts.py end to end): shown, replaced, cleared by
// an empty text; on disk (sealed) once the reply is given, so a crash right after
// keeps it; announced to subscribers once written; never sent to the partner.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

Result<control::DraftReply> Draft(CoreSide& side) {
  control::Request request;
  request.mutable_draft();
  auto reply = side.Call(request);
  if (!reply.ok()) return reply.status();
  return reply->draft();
}

Result<control::DraftReply> SetDraft(CoreSide& side, const std::string& text) {
  control::Request request;
  request.mutable_draft()->set_set(true);
  request.mutable_draft()->set_text(text);
  auto reply = side.Call(request);
  if (!reply.ok()) return reply.status();
  return reply->draft();
}

std::vector<control::DraftChanged> DraftEvents(CoreSide& side) {
  std::vector<control::DraftChanged> changes;
  for (const auto& event : side.TakeEvents()) {
    if (event.has_draft()) changes.push_back(event.draft());
  }
  return changes;
}

using DraftsTest = CorePairTest;

TEST_F(DraftsTest, ADraftIsKeptReplacedAndCleared) {
  auto none = Draft(a());
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->text(), "");
  EXPECT_EQ(none->updated_at_unix_ms(), 0);

  a().TakeEvents();
  auto set = SetDraft(a(), "see you at");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->text(), "see you at");
  EXPECT_EQ(set->updated_at_unix_ms(), pair_.clock().NowUnixMs());
  a().RunUntilIdle();
  auto changes = DraftEvents(a());
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].text(), "see you at");

  pair_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(SetDraft(a(), "see you at 8").ok());
  auto shown = Draft(a());
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->text(), "see you at 8");
  EXPECT_EQ(shown->updated_at_unix_ms(), pair_.clock().NowUnixMs());

  auto cleared = SetDraft(a(), "");
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared->text(), "");
  EXPECT_EQ(cleared->updated_at_unix_ms(), 0);
  a().RunUntilIdle();
  changes = DraftEvents(a());
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].text(), "");
  ASSERT_TRUE(a().Restart().ok());
  EXPECT_EQ(Draft(a())->text(), "");
}

TEST_F(DraftsTest, TheReplyMeansItIsOnDiskAndSealed) {
  ASSERT_TRUE(SetDraft(a(), "a marker 4f1c").ok());
  // As a kill -9: the batch being filled is lost; what the reply waited for is not.
  ASSERT_TRUE(a().Restart(/*crash=*/true).ok());
  auto kept = Draft(a());
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->text(), "a marker 4f1c");
  // Sealed: the raw LevelDB files never hold the text.
  for (const auto& file : std::filesystem::recursive_directory_iterator(a().dir())) {
    if (!file.is_regular_file()) continue;
    std::ifstream in(file.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("marker 4f1c"), std::string::npos) << file.path();
  }
}

TEST_F(DraftsTest, ADraftNeverReachesThePartner) {
  a().channel().Take();
  ASSERT_TRUE(SetDraft(a(), "not yet").ok());
  a().RunUntilIdle();
  EXPECT_TRUE(a().channel().Take().empty());
  pair_.Settle();
  EXPECT_TRUE(b().Texts(control::Message::INCOMING).empty());
  EXPECT_EQ(Draft(b())->text(), "");
}

TEST_F(DraftsTest, WhatIsNotADraftIsRefused) {
  EXPECT_EQ(SetDraft(a(), std::string(60001, 'x')).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(SetDraft(a(), "\xff\xfe").status().code(), Code::kInvalidArgument);
  control::Request text_without_set;
  text_without_set.mutable_draft()->set_text("hello");
  EXPECT_EQ(a().Call(text_without_set).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Draft(a())->text(), "");
}

}  // namespace
}  // namespace inmost::test
