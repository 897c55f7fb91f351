// What `inmost chat` makes of typed lines (slash commands, //, quoting), how its line
// editor edits, and how its transcript tells new, changed and repeated messages apart.
#include <gtest/gtest.h>

#include "cli/chat_line_editor.h"
#include "cli/chat_transcript.h"
#include "cli/chat_typed_line.h"

namespace inmost::cli {
namespace {

TEST(CliChatTypedLine, TextIsSentAndSlashesAreCommands) {
  EXPECT_EQ(ParseTypedLine("hello").kind, TypedLine::kText);
  EXPECT_EQ(ParseTypedLine("   ").kind, TypedLine::kNothing);
  EXPECT_EQ(ParseTypedLine("/help").kind, TypedLine::kHelp);
  EXPECT_EQ(ParseTypedLine("/quit").kind, TypedLine::kQuit);

  TypedLine literal = ParseTypedLine("//x marks");
  EXPECT_EQ(literal.kind, TypedLine::kText);
  EXPECT_EQ(literal.text, "/x marks");

  TypedLine react = ParseTypedLine("/react 4 ❤");
  ASSERT_EQ(react.kind, TypedLine::kCommand);
  EXPECT_EQ(react.name, "react");
  EXPECT_EQ(react.args, (std::vector<std::string>{"4", "❤"}));

  TypedLine quoted =
      ParseTypedLine(R"(/send --gentle --note "about my \"father\"" it\'s 'all  here')");
  ASSERT_EQ(quoted.kind, TypedLine::kCommand);
  EXPECT_EQ(quoted.args, (std::vector<std::string>{"--gentle", "--note", "about my \"father\"",
                                                   "it's", "all  here"}));
}

TEST(CliChatTypedLine, UnknownAndEndlessCommandsAreNeverSent) {
  for (const char* line : {"/frobnicate", "/chat", "/watch", "/", "/ "}) {
    EXPECT_EQ(ParseTypedLine(line).kind, TypedLine::kUnknown) << line;
  }
  EXPECT_EQ(ParseTypedLine("/send \"open").kind, TypedLine::kMalformed);
}

TEST(CliChatLineEditor, EditsAtTheCursorAndKeepsHistory) {
  ChatLineEditor editor;
  for (wchar_t c : std::wstring(L"hllo")) editor.Insert(c);
  editor.Home();
  editor.Right();
  editor.Insert(L'e');
  editor.End();
  editor.Insert(L'❤');
  EXPECT_EQ(editor.Submit(), "hello❤");
  EXPECT_TRUE(editor.empty());

  for (wchar_t c : std::wstring(L"second")) editor.Insert(c);
  editor.Backspace();
  EXPECT_EQ(editor.Submit(), "secon");
  for (wchar_t c : std::wstring(L"draft")) editor.Insert(c);
  editor.Older();
  EXPECT_EQ(Utf8FromWide(editor.text()), "secon");
  editor.Older();
  EXPECT_EQ(Utf8FromWide(editor.text()), "hello❤");
  editor.Older();  // The oldest stays.
  EXPECT_EQ(Utf8FromWide(editor.text()), "hello❤");
  editor.Newer();
  editor.Newer();
  EXPECT_EQ(Utf8FromWide(editor.text()), "draft");  // What was being written comes back.

  editor.Home();
  editor.Delete();
  editor.KillToEnd();
  EXPECT_TRUE(editor.empty());
  editor.Restore("given back");
  EXPECT_EQ(editor.cursor(), 10u);
  EXPECT_EQ(editor.Submit(), "given back");
}

TEST(CliChatLineEditor, Utf8RoundTripsAndInvalidBytesAreReplaced) {
  EXPECT_EQ(Utf8FromWide(WideFromUtf8("❤ é 😂 a")), "❤ é 😂 a");
  EXPECT_EQ(WideFromUtf8("a\xff"), std::wstring(L"a\uFFFD"));
}

control::Message Text(uint64_t id, const std::string& text) {
  control::Message message;
  message.set_id(id);
  message.set_text(text);
  message.set_direction(control::Message::INCOMING);
  message.set_state(control::Message::DELIVERED);
  return message;
}

control::Message Kiss(uint64_t id) {
  control::Message message;
  message.set_id(id);
  message.set_kind(control::Message::NUDGE);
  message.set_direction(control::Message::INCOMING);
  message.mutable_nudge()->set_kind(control::Nudge::KISS);
  return message;
}

TEST(CliChatTranscript, EachMessageOnceAndEachChangeOnce) {
  ChatTranscript transcript;
  // Ids need not grow in display order: 9 after 12 is new all the same.
  EXPECT_EQ(transcript.Record(Text(12, "a")), ChatTranscript::Seen::kNew);
  EXPECT_EQ(transcript.Record(Text(9, "b")), ChatTranscript::Seen::kNew);
  EXPECT_EQ(transcript.Record(Text(12, "a")), ChatTranscript::Seen::kSame);
  control::Message read = Text(12, "a");
  read.set_state(control::Message::READ);  // Delivery and read have events of their own.
  EXPECT_EQ(transcript.Record(read), ChatTranscript::Seen::kSame);
  read.set_my_reaction("❤");
  EXPECT_EQ(transcript.Record(read), ChatTranscript::Seen::kChanged);
  EXPECT_EQ(transcript.Record(read), ChatTranscript::Seen::kSame);
  EXPECT_EQ(transcript.Find(12)->my_reaction(), "❤");
}

TEST(CliChatTranscript, NudgesInARowJoinOneRun) {
  ChatTranscript transcript;
  transcript.StartNudgeRun(Kiss(1));
  for (uint64_t id = 2; id <= 9; ++id) {
    auto run = transcript.JoinNudgeRun(Kiss(id));
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(run->line_id, 1u);
    EXPECT_EQ(run->count, id);
  }
  control::Message hug = Kiss(10);
  hug.mutable_nudge()->set_kind(control::Nudge::HUG);
  EXPECT_FALSE(transcript.JoinNudgeRun(hug).has_value());  // Another kind: a line of its own.
  transcript.StartNudgeRun(hug);
  transcript.EndNudgeRun();  // A message between: the next hug starts anew.
  EXPECT_FALSE(transcript.JoinNudgeRun(hug).has_value());
}

}  // namespace
}  // namespace inmost::cli
