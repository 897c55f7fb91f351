// What `inmost export` writes: Markdown and JSON, without the body of any envelope
// that was never opened or of anything forgotten, from --since on.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/export_format.h"
#include "cli/time.h"
#include "tests/unit/cli_test_fixture.h"

namespace inmost {
namespace {

using control::Message;
using Envelope = control::Message::Envelope;
using cli::ExportFormat;
using cli::ExportOptions;

constexpr int64_t kNow = 1802592000000;  // 2027-02-14T08:00:00Z
constexpr int64_t kHour = 60 * 60 * 1000;

Message At(uint64_t id, Message::Direction direction, int64_t at, std::string text) {
  Message message;
  message.set_id(id);
  message.set_direction(direction);
  message.set_state(Message::READ);
  message.set_text(std::move(text));
  message.set_sent_at_unix_ms(at);
  if (direction == Message::INCOMING) message.set_received_at_unix_ms(at);
  return message;
}

Message WithEnvelope(Message message, Envelope::Kind kind, Envelope::State state) {
  message.set_kind(Message::ENVELOPE);
  message.mutable_envelope()->set_kind(kind);
  message.mutable_envelope()->set_state(state);
  return message;
}

// A day of everything, starting the evening before kNow.
std::vector<Message> Conversation() {
  std::vector<Message> messages;
  Message hello = At(1, Message::OUTGOING, kNow - 11 * kHour, "hello *there*");  // 02-13 21:00
  hello.set_pinned(true);
  hello.set_their_reaction("❤");
  messages.push_back(hello);
  // The daemon leaves an unopened incoming body empty; the export must not rely on it.
  messages.push_back(WithEnvelope(At(2, Message::INCOMING, kNow - 10 * kHour, "SECRET-IN"),
                                  Envelope::SEALED, Envelope::WITHHELD));
  // Your own unopened envelope: its text is here, and still stays out.
  Message gentle = WithEnvelope(At(3, Message::OUTGOING, kNow - 9 * kHour, "SECRET-OUT"),
                                Envelope::GENTLE, Envelope::WITHHELD);
  gentle.mutable_envelope()->set_note("for later");
  messages.push_back(gentle);
  messages.push_back(WithEnvelope(At(4, Message::OUTGOING, kNow - kHour, "RELEASED-BODY"),
                                  Envelope::SEALED, Envelope::RELEASED));
  messages.push_back(WithEnvelope(At(5, Message::INCOMING, kNow, "opened body"), Envelope::SEALED,
                                  Envelope::OPENED));
  Message forgotten = At(6, Message::INCOMING, kNow, "GONE");
  forgotten.set_forget(Message::FORGOTTEN_BOTH);
  messages.push_back(forgotten);
  Message nudge = At(7, Message::INCOMING, kNow + kHour, "");
  nudge.set_kind(Message::NUDGE);
  nudge.mutable_nudge()->set_kind(control::Nudge::HUG);
  nudge.mutable_nudge()->set_count(2);
  messages.push_back(nudge);
  Message moment = At(8, Message::DIRECTION_UNSPECIFIED, kNow + kHour, "");
  moment.set_kind(Message::MOMENT);
  messages.push_back(moment);
  Message question = At(9, Message::INCOMING, kNow + 2 * kHour, "Where shall we go?");
  question.set_kind(Message::QUESTION);
  messages.push_back(question);
  Message urgent = At(10, Message::INCOMING, kNow + 3 * kHour, "line one\n# no heading\n<b>x</b>");
  urgent.set_urgent(true);
  messages.push_back(urgent);
  return messages;
}

std::string Render(ExportFormat format, int64_t since = 0) {
  ExportOptions options;
  options.format = format;
  options.since_unix_ms = since;
  options.exported_at_unix_ms = kNow + 4 * kHour;
  return cli::RenderExport(Conversation(), options);
}

void ExpectNoUnreadBody(const std::string& exported) {
  for (const char* body : {"SECRET-IN", "SECRET-OUT", "RELEASED-BODY", "GONE"}) {
    EXPECT_EQ(exported.find(body), std::string::npos) << body << " in:\n" << exported;
  }
}

TEST(CliExportFormat, Markdown) {
  test::UtcTest utc;
  std::string markdown = Render(ExportFormat::kMarkdown);
  auto has = [&markdown](const std::string& part) {
    return markdown.find(part) != std::string::npos;
  };
  EXPECT_EQ(markdown.rfind("# Our conversation\n\nExported from inmost on 2027-02-14 12:00 (local "
                           "time): 10 messages.\n\n## 2027-02-13\n\n",
                           0),
            0u)
      << markdown;
  EXPECT_TRUE(has("\n**You** 21:00 — hello \\*there\\* 📌 \\[them: ❤\\]\n")) << markdown;
  EXPECT_TRUE(has("\n**Partner** 22:00 — ✉ sealed message (not opened)\n")) << markdown;
  EXPECT_TRUE(has("\n**You** 23:00 — ✉ gentle message: \"for later\" (not opened)\n")) << markdown;
  EXPECT_TRUE(has("\n## 2027-02-14\n\n**You** 07:00 — ✉ sealed message (not opened)\n"))
      << markdown;
  EXPECT_TRUE(has("\n**Partner** 08:00 — opened body _(✉ sealed message, opened)_\n")) << markdown;
  EXPECT_TRUE(has("\n**Partner** 08:00 — (forgotten)\n")) << markdown;
  EXPECT_TRUE(has("\n**Partner** 09:00 — _(hug ×2)_\n")) << markdown;
  EXPECT_TRUE(has("\n09:00 — ✨ same moment: you both reached out\n")) << markdown;
  EXPECT_TRUE(has("\n**Partner** 10:00 — ❓ Where shall we go?\n")) << markdown;
  // The partner's text stays text: no heading, no HTML, one paragraph.
  EXPECT_TRUE(
      has("\n**Partner** 11:00 — line one  \n\\# no heading  \n\\<b\\>x\\</b\\> (urgent)\n"))
      << markdown;
  ExpectNoUnreadBody(markdown);
}

TEST(CliExportFormat, FilesByNameAndCancelledMessagesWhenWritten) {
  test::UtcTest utc;
  Message photo = At(1, Message::INCOMING, kNow, "tonight");
  photo.set_kind(Message::FILE);
  photo.mutable_file()->set_name("sunset.jpg");
  photo.mutable_file()->set_type("image/jpeg");
  photo.mutable_file()->set_size(2516582);
  photo.mutable_file()->set_bytes_done(2516582);
  photo.mutable_file()->set_state(control::Attachment::RECEIVED);
  // Written at 09:30, to leave next year, cancelled: it never left.
  Message cancelled = At(2, Message::OUTGOING, 0, "happy new year");
  cancelled.set_state(Message::CANCELLED);
  cancelled.set_written_at_unix_ms(kNow + kHour + kHour / 2);
  cancelled.set_send_at_unix_ms(1830297600000);  // 2028-01-01T00:00:00Z
  Message later = At(3, Message::OUTGOING, kNow + 2 * kHour, "see you");
  ExportOptions options;
  options.exported_at_unix_ms = kNow + 4 * kHour;
  std::string markdown = cli::RenderExport({photo, cancelled, later}, options);
  EXPECT_NE(markdown.find("\n**Partner** 08:00 — 📎 sunset.jpg (2.4 MiB, image/jpeg) — tonight\n"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("\n**You** 09:30 — happy new year (cancelled: never sent; it was for "
                          "2028-01-01 00:00)\n\n**You** 10:00 — see you\n"),
            std::string::npos)
      << markdown;
  EXPECT_EQ(markdown.find("## 2028"), std::string::npos) << markdown;
}

TEST(CliExportFormat, Json) {
  test::UtcTest utc;
  std::string json = Render(ExportFormat::kJson);
  EXPECT_EQ(json.rfind(R"({"exported_at":"2027-02-14T12:00:00Z","messages":[)", 0), 0u) << json;
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  const auto& messages = parsed.fields().at("messages").list_value().values();
  ASSERT_EQ(messages.size(), 10);
  // Each is a control.Message in protobuf's JSON mapping, oldest first.
  Message third;
  std::string third_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(messages[2], &third_json).ok());
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(third_json, &third).ok()) << third_json;
  EXPECT_EQ(third.id(), 3u);
  EXPECT_EQ(third.envelope().kind(), Envelope::GENTLE);
  EXPECT_EQ(third.envelope().note(), "for later");
  EXPECT_EQ(third.text(), "");
  EXPECT_NE(json.find(R"("forget":"FORGOTTEN_BOTH")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("text":"opened body")"), std::string::npos) << json;
  ExpectNoUnreadBody(json);
}

TEST(CliExportFormat, Since) {
  test::UtcTest utc;
  Result<int64_t> since = cli::ParseTimeUnixMs("2027-02-14");
  ASSERT_TRUE(since.ok());
  std::string markdown = Render(ExportFormat::kMarkdown, *since);
  EXPECT_NE(markdown.find(", from 2027-02-14 on: 7 messages."), std::string::npos) << markdown;
  EXPECT_EQ(markdown.find("2027-02-13"), std::string::npos) << markdown;
  EXPECT_EQ(markdown.find("hello"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("**You** 07:00"), std::string::npos) << markdown;

  std::string json = Render(ExportFormat::kJson, *since);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_EQ(parsed.fields().at("messages").list_value().values_size(), 7);

  // Nothing from then on: still a document, and still valid JSON.
  EXPECT_NE(Render(ExportFormat::kMarkdown, kNow + 24 * kHour).find(": 0 messages."),
            std::string::npos);
  json = Render(ExportFormat::kJson, kNow + 24 * kHour);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_EQ(parsed.fields().at("messages").list_value().values_size(), 0);
}

}  // namespace
}  // namespace inmost
