// How replies, edits, view-once and disappearing messages (issue 21) look in history,
// chat and export, and what `versions` and `view` print: formatting only, no daemon.
// A view-once text never shows, even if a Message were to carry one.
#include <gtest/gtest.h>

#include <string>

#include "cli/chat_lines.h"
#include "cli/chat_typed_line.h"
#include "cli/export_format.h"
#include "cli/message_format.h"
#include "cli/messenger_format.h"
#include "cli/text_format.h"
#include "tests/unit/cli_test_fixture.h"

namespace inmost {
namespace {

using control::Message;
using test::UtcTest;

constexpr int64_t kNow = 1802592000000;  // 2027-02-14T08:00:00Z
constexpr int64_t kHour = 3600 * 1000;

Message Text(uint64_t id, Message::Direction direction, Message::State state, std::string text) {
  Message message;
  message.set_id(id);
  message.set_direction(direction);
  message.set_state(state);
  message.set_text(std::move(text));
  message.set_sent_at_unix_ms(kNow);
  if (direction == Message::INCOMING) message.set_received_at_unix_ms(kNow);
  return message;
}

Message Reply(uint64_t id, uint64_t to, std::string quoted, std::string text) {
  Message message = Text(id, Message::OUTGOING, Message::READ, std::move(text));
  message.set_reply_to(to);
  message.set_quoted(std::move(quoted));
  return message;
}

std::string Format(const Message& message) {
  return cli::FormatMessage(message, cli::kDateTimeFormat, kNow);
}

TEST(CliMessengerFormat, AReplyShowsTheQuotedLineAboveItsText) {
  UtcTest utc;
  EXPECT_EQ(Format(Reply(14, 12, "dinner at 8?", "yes!")),
            "[2027-02-14 08:00] you: ↪ #12 \"dinner at 8?\"\n"
            "                        yes!  (#14 read)");
}

TEST(CliMessengerFormat, AQuoteIsOneShortLine) {
  EXPECT_EQ(cli::QuotedLine(Reply(14, 12, "two\nlines\tand a \x1b[2J clear", "ok")),
            "↪ #12 \"two lines and a ?[2J clear\"");
  std::string long_text(100, 'a');
  EXPECT_EQ(cli::QuotedLine(Reply(14, 12, long_text, "ok")),
            "↪ #12 \"" + std::string(cli::kQuoteChars, 'a') + "…\"");
  // Cut at characters, never inside one.
  std::string hearts;
  for (int i = 0; i < 70; ++i) hearts += "❤";
  std::string shown = cli::ShortLine(hearts, 3);
  EXPECT_EQ(shown, "❤❤❤…");
  EXPECT_EQ(cli::ShortLine("short", 60), "short");
}

TEST(CliMessengerFormat, WhatCannotBeQuotedIsNamedNotQuoted) {
  for (const char* stand_in :
       {"a sealed envelope", "a view-once message", "a message you no longer have"}) {
    EXPECT_EQ(cli::QuotedLine(Reply(14, 12, stand_in, "ok")),
              "↪ #12 (" + std::string(stand_in) + ")");
  }
  EXPECT_EQ(cli::QuotedLine(Reply(14, 12, "", "ok")), "↪ #12");
  EXPECT_EQ(cli::QuotedLine(Text(14, Message::OUTGOING, Message::READ, "ok")), "");
}

TEST(CliMessengerFormat, AnEditedTextSaysSo) {
  UtcTest utc;
  Message message = Text(9, Message::INCOMING, Message::READ, "see you at 9");
  message.set_edited(true);
  message.set_edited_at_unix_ms(kNow + 60000);
  EXPECT_EQ(Format(message), "[2027-02-14 08:00] partner: see you at 9 (edited)  (#9)");
}

TEST(CliMessengerFormat, ViewOnceNeverShowsItsText) {
  UtcTest utc;
  Message incoming = Text(21, Message::INCOMING, Message::DELIVERED, "MARKER should not show");
  incoming.set_view_once(Message::NOT_VIEWED);
  EXPECT_EQ(Format(incoming),
            "[2027-02-14 08:00] partner: [view-once message]  (#21 new, view it once with: "
            "inmost view 21)");
  incoming.set_view_once(Message::VIEWED);
  incoming.set_state(Message::READ);
  EXPECT_EQ(Format(incoming),
            "[2027-02-14 08:00] partner: [view-once message]  (#21, viewed: gone on both sides)");

  Message outgoing = Text(22, Message::OUTGOING, Message::DELIVERED, "");
  outgoing.set_view_once(Message::NOT_VIEWED);
  EXPECT_EQ(Format(outgoing),
            "[2027-02-14 08:00] you: [view-once message]  (#22 delivered, view once, not yet "
            "viewed)");
  outgoing.set_view_once(Message::VIEWED);
  outgoing.set_state(Message::READ);
  EXPECT_EQ(Format(outgoing), "[2027-02-14 08:00] you: [view-once message]  (#22 read, viewed)");
}

TEST(CliMessengerFormat, ChatTurnsTheViewHintIntoASlashCommand) {
  UtcTest utc;
  Message incoming = Text(21, Message::INCOMING, Message::DELIVERED, "");
  incoming.set_sent_at_unix_ms(cli::NowUnixMs());
  incoming.set_received_at_unix_ms(cli::NowUnixMs());
  incoming.set_view_once(Message::NOT_VIEWED);
  std::string line = cli::ChatMessageLine(incoming, cli::Speakers{});
  EXPECT_NE(line.find("view it once with: /view 21)"), std::string::npos) << line;
}

TEST(CliMessengerFormat, DisappearingSaysWhen) {
  UtcTest utc;
  Message unread = Text(30, Message::INCOMING, Message::DELIVERED, "soon gone");
  unread.set_disappear_after_ms(24 * kHour);
  EXPECT_EQ(Format(unread),
            "[2027-02-14 08:00] partner: soon gone  (#30 new, disappears 1d after it is read)");
  Message read = unread;
  read.set_state(Message::READ);
  read.set_disappears_at_unix_ms(kNow + 23 * kHour);
  EXPECT_EQ(Format(read), "[2027-02-14 08:00] partner: soon gone  (#30, disappears in 23h)");
  read.set_disappears_at_unix_ms(kNow - 1);
  EXPECT_EQ(cli::DisappearDescription(read, kNow), "disappearing now");
  EXPECT_EQ(cli::DisappearDescription(Text(1, Message::INCOMING, Message::READ, "x"), kNow), "");
}

TEST(CliMessengerFormat, ForgottenShowsNoQuoteEither) {
  UtcTest utc;
  Message message = Reply(14, 12, "dinner at 8?", "");
  message.set_forget(Message::FORGOTTEN);
  EXPECT_EQ(Format(message), "[2027-02-14 08:00] you: (forgotten)  (#14 forgotten here)");
}

TEST(CliMessengerFormat, WhatDisappearedShowsNothingOfItself) {
  UtcTest utc;
  Message message = Text(30, Message::INCOMING, Message::READ, "");
  message.set_forget(Message::DISAPPEARED);
  message.set_disappear_after_ms(kHour);
  EXPECT_EQ(Format(message),
            "[2027-02-14 08:00] partner: (disappeared)  (#30 disappeared: deleted "
            "here as set)");
  cli::ExportOptions options;
  options.exported_at_unix_ms = kNow;
  EXPECT_NE(cli::RenderExport({message}, options).find("**Partner** 08:00 — (disappeared)"),
            std::string::npos);
}

TEST(CliMessengerFormat, VersionsOldestFirstTheCurrentMarked) {
  UtcTest utc;
  control::VersionsReply reply;
  auto* first = reply.add_versions();
  first->set_text("see you at 8");
  first->set_at_unix_ms(kNow);
  auto* second = reply.add_versions();
  second->set_text("see you at 9\nat the bridge");
  second->set_at_unix_ms(kNow + 5 * 60000);
  EXPECT_EQ(cli::FormatVersions(12, reply, cli::kDateTimeFormat),
            "#12 has had 2 versions, oldest first:\n"
            "  [2027-02-14 08:00] see you at 8\n"
            "  [2027-02-14 08:05] see you at 9\n"
            "                     at the bridge  (current)\n");
  reply.mutable_versions()->RemoveLast();
  EXPECT_EQ(cli::FormatVersions(12, reply, cli::kDateTimeFormat),
            "#12 was never edited:\n  [2027-02-14 08:00] see you at 8\n");
}

TEST(CliMessengerFormat, ViewPrintsTheTextOnceAndSaysItIsGone) {
  UtcTest utc;
  control::ViewReply reply;
  reply.set_text("only for you \x1b]0;title\x07");
  reply.mutable_message()->set_sent_at_unix_ms(kNow);
  EXPECT_EQ(cli::FormatViewed(21, reply),
            "View-once message #21, sent 2027-02-14 08:00:\n\n"
            "only for you ?]0;title?\n\n"
            "It is gone now: destroyed here, and on your partner's side as soon as their daemon "
            "hears of it. It cannot be viewed again.\n");
}

TEST(CliMessengerFormat, ExportHoldsNoViewOnceTextAndShowsRepliesAndEdits) {
  UtcTest utc;
  Message view_once = Text(21, Message::INCOMING, Message::READ, "MARKER-7f3a");
  view_once.set_view_once(Message::VIEWED);
  Message reply = Reply(22, 12, "dinner at 8?", "yes!");
  reply.set_edited(true);
  Message disappearing = Text(23, Message::INCOMING, Message::READ, "brief");
  disappearing.set_disappears_at_unix_ms(kNow + kHour);
  cli::ExportOptions options;
  options.exported_at_unix_ms = kNow;
  std::string markdown = cli::RenderExport({view_once, reply, disappearing}, options);
  EXPECT_EQ(markdown.find("MARKER"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("**Partner** 08:00 — 👁 view-once message (viewed)"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("**You** 08:00 — _↪ #12 \"dinner at 8?\"_  \nyes! (edited)"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("brief (disappears 2027-02-14 09:00)"), std::string::npos) << markdown;
  options.format = cli::ExportFormat::kJson;
  std::string json = cli::RenderExport({view_once}, options);
  EXPECT_EQ(json.find("MARKER"), std::string::npos) << json;
  EXPECT_NE(json.find("\"view_once\":\"VIEWED\""), std::string::npos) << json;
}

TEST(CliMessengerFormat, ChatReplyAndEditTakeTheTextAsTyped) {
  cli::TypedLine reply = cli::ParseTypedLine("/reply 12 it's \"fine\" -really");
  EXPECT_EQ(reply.kind, cli::TypedLine::kCommand);
  EXPECT_EQ(reply.name, "send");
  EXPECT_EQ(reply.args,
            (std::vector<std::string>{"--reply-to", "12", "--", "it's \"fine\" -really"}));
  cli::TypedLine edit = cli::ParseTypedLine("/edit #12   don't");
  EXPECT_EQ(edit.kind, cli::TypedLine::kCommand);
  EXPECT_EQ(edit.name, "edit");
  EXPECT_EQ(edit.args, (std::vector<std::string>{"#12", "--", "don't"}));
  for (const char* incomplete : {"/reply", "/reply 12", "/reply 12   ", "/edit 3"}) {
    cli::TypedLine typed = cli::ParseTypedLine(incomplete);
    EXPECT_EQ(typed.kind, cli::TypedLine::kMalformed) << incomplete;
    EXPECT_NE(typed.text.find("takes a message's number and your text"), std::string::npos);
  }
  // Other commands split as before; /replyall is not /reply.
  EXPECT_EQ(cli::ParseTypedLine("/view 21").kind, cli::TypedLine::kCommand);
  EXPECT_EQ(cli::ParseTypedLine("/versions 12").kind, cli::TypedLine::kCommand);
  EXPECT_EQ(cli::ParseTypedLine("/replyall 12 x").kind, cli::TypedLine::kUnknown);
}

}  // namespace
}  // namespace inmost
