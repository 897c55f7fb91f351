// The CLI side of replies, edits, view-once and pins of disappearing messages (issue
// 21): what `send --reply-to/--view-once`, `edit`, `versions`, `view` and `pin
// --anyway` ask the daemon, what they print, and the usage errors that reach no daemon.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/unit/cli_test_fixture.h"

namespace inmost {
namespace {

using control::Message;
using control::Request;
using control::Response;

constexpr int64_t kNow = 1802592000000;  // 2027-02-14T08:00:00Z

class MessengerHandler : public test::RecordingHandler {
 protected:
  Response Answer(const Request& request) override {
    Response response;
    switch (request.body_case()) {
      case Request::kStatus:
        response.mutable_status()->set_paired(true);
        break;
      case Request::kSend:
        response.mutable_send()->set_id(15);
        break;
      case Request::kEdit: {
        if (request.edit().id() == 13) {
          response.mutable_error()->set_code(static_cast<uint32_t>(Code::kFailedPrecondition));
          response.mutable_error()->set_message(
              "#13 is an envelope your partner has not opened yet: it cannot be edited");
          break;
        }
        Message* message = response.mutable_edit()->mutable_message();
        message->set_id(request.edit().id());
        message->set_direction(Message::OUTGOING);
        message->set_state(Message::READ);
        message->set_text(request.edit().text());
        message->set_sent_at_unix_ms(kNow);
        message->set_edited(true);
        break;
      }
      case Request::kVersions: {
        auto* first = response.mutable_versions()->add_versions();
        first->set_text("see you at 8");
        first->set_at_unix_ms(kNow);
        auto* second = response.mutable_versions()->add_versions();
        second->set_text("see you at 9");
        second->set_at_unix_ms(kNow + 60000);
        break;
      }
      case Request::kView:
        response.mutable_view()->set_text("only once");
        response.mutable_view()->mutable_message()->set_id(request.view().id());
        response.mutable_view()->mutable_message()->set_sent_at_unix_ms(kNow);
        response.mutable_view()->mutable_message()->set_view_once(Message::VIEWED);
        break;
      case Request::kPin:
        if (request.pin().id() == 30 && !request.pin().anyway()) {
          response.mutable_error()->set_code(static_cast<uint32_t>(Code::kFailedPrecondition));
          response.mutable_error()->set_message(
              "#30 disappears, and its pin with it: pin it --anyway");
          break;
        }
        response.mutable_pin()->mutable_message()->set_id(request.pin().id());
        response.mutable_pin()->mutable_message()->set_pinned(true);
        if (request.pin().id() == 30) {
          response.mutable_pin()->mutable_message()->set_disappear_after_ms(86400000);
        }
        break;
      default:
        response.mutable_error()->set_code(static_cast<uint32_t>(Code::kNotFound));
        response.mutable_error()->set_message("nothing here");
    }
    return response;
  }
};

class CliMessenger : public test::CliFixture {
 protected:
  test::RecordingHandler& handler() override { return handler_; }
  MessengerHandler handler_;
};

TEST_F(CliMessenger, SendAsAReply) {
  ASSERT_EQ(Cli({"send", "--reply-to", "#12", "yes", "please"}), cli::kExitOk) << err_.str();
  Request sent = LastRequest();
  EXPECT_EQ(sent.send().reply_to(), 12u);
  EXPECT_EQ(sent.send().text(), "yes please");
  EXPECT_FALSE(sent.send().view_once());
  EXPECT_EQ(out_.str(),
            "Message #15 (a reply to #12) is in the outbox; it is delivered as soon as your "
            "partner is reachable.\n");
  // A view-once message can answer one too.
  ASSERT_EQ(Cli({"send", "--reply-to", "12", "--view-once", "look"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().send().reply_to(), 12u);
  EXPECT_TRUE(LastRequest().send().view_once());
}

TEST_F(CliMessenger, SendViewOnce) {
  ASSERT_EQ(Cli({"send", "--view-once", "look"}), cli::kExitOk) << err_.str();
  EXPECT_TRUE(LastRequest().send().view_once());
  EXPECT_EQ(LastRequest().send().text(), "look");
  EXPECT_EQ(out_.str(),
            "View-once message #15 is in the outbox; it is delivered as soon as your partner is "
            "reachable.\n"
            "Your partner can view it once; then it is gone on both sides and you see it "
            "viewed.\n");
  ASSERT_EQ(Cli({"--json", "send", "--view-once", "look"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "{\"id\":\"15\",\"sent_at_unix_ms\":\"0\"}\n");
}

TEST_F(CliMessenger, ViewOnceIsAPlainTextOrAFileWithoutCaption) {
  std::string path = (dir_.path() / "a.txt").string();
  std::ofstream(path) << "a";
  ExpectUsageError({"send", "--view-once", "--file", path, "--caption", "c"},
                   "--view-once goes only with a plain text or --file, not with --caption");
  ExpectUsageError({"send", "--view-once", "--reply-to", "3", "--file", path},
                   "--reply-to goes only with a text sent now, not with --file");
  ExpectUsageError({"send", "--view-once", "--gentle", "x"}, "not with --gentle");
  ExpectUsageError({"send", "--view-once", "--open-in", "1h", "x"}, "not with --open-in");
  ExpectUsageError({"send", "--view-once", "--together", "x"}, "not with --together");
  ExpectUsageError({"send", "--view-once", "--send-at", "2027-03-01 09:00", "x"},
                   "not with --send-at");
  ExpectUsageError({"send", "--view-once", "--urgent", "x"}, "not with --urgent");
  ExpectUsageError({"send", "--view-once", "--note", "n", "x"}, "--note goes only with a sealed");
  ExpectUsageError({"send", "--view-once"}, "there is no text to send");
}

TEST_F(CliMessenger, ReplyToTakesAMessageNumberAndAText) {
  std::string path = (dir_.path() / "a.txt").string();
  std::ofstream(path) << "a";
  ExpectUsageError({"send", "--reply-to", "12", "--file", path},
                   "--reply-to goes only with a text sent now, not with --file");
  ExpectUsageError({"send", "--reply-to", "12", "--gentle", "x"}, "not with --gentle");
  ExpectUsageError({"send", "--reply-to", "12", "--send-at", "2027-03-01 09:00", "x"},
                   "not with --send-at");
  ExpectUsageError({"send", "--reply-to", "twelve", "x"}, "--reply-to: invalid message id");
  ExpectUsageError({"send", "--reply-to", "0", "x"}, "--reply-to: invalid message id");
  ExpectUsageError({"send", "--reply-to"}, "");
}

TEST_F(CliMessenger, Edit) {
  ASSERT_EQ(Cli({"edit", "12", "see", "you", "at", "9"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().edit().id(), 12u);
  EXPECT_EQ(LastRequest().edit().text(), "see you at 9");
  EXPECT_EQ(out_.str(),
            "Edited #12; your partner's copy changes too, and you both keep every version "
            "('inmost versions 12'):\n"
            "  [2027-02-14 08:00] you: see you at 9 (edited)  (#12 read)\n");
  ASSERT_EQ(Cli({"edit", "#12", "-"}, "from stdin\n"), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().edit().text(), "from stdin");
  ASSERT_EQ(Cli({"edit", "12", "--", "-1 is fine"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().edit().text(), "-1 is fine");
  ASSERT_EQ(Cli({"--json", "edit", "12", "x"}), cli::kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("{\"message\":{\"id\":\"12\""), std::string::npos) << out_.str();
}

TEST_F(CliMessenger, EditErrors) {
  ExpectUsageError({"edit"}, "give the message's ID");
  ExpectUsageError({"edit", "12"}, "give the new TEXT of the message");
  ExpectUsageError({"edit", "abc", "x"}, "invalid message id 'abc'");
  EXPECT_EQ(Cli({"edit", "13", "x"}), cli::kExitDaemonError);
  EXPECT_EQ(err_.str(),
            "inmost: #13 is an envelope your partner has not opened yet: it cannot be edited "
            "(failed_precondition)\n");
}

TEST_F(CliMessenger, Versions) {
  ASSERT_EQ(Cli({"versions", "12"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().versions().id(), 12u);
  EXPECT_EQ(out_.str(),
            "#12 has had 2 versions, oldest first:\n"
            "  [2027-02-14 08:00] see you at 8\n"
            "  [2027-02-14 08:01] see you at 9  (current)\n");
  ASSERT_EQ(Cli({"--json", "versions", "12"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "{\"versions\":[{\"text\":\"see you at 8\",\"at_unix_ms\":\"1802592000000\"},"
            "{\"text\":\"see you at 9\",\"at_unix_ms\":\"1802592060000\"}]}\n");
  ExpectUsageError({"versions"}, "give the message's ID");
  ExpectUsageError({"versions", "12", "13"}, "");
}

TEST_F(CliMessenger, View) {
  ASSERT_EQ(Cli({"view", "21"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().view().id(), 21u);
  EXPECT_EQ(out_.str(),
            "View-once message #21, sent 2027-02-14 08:00:\n\nonly once\n\n"
            "It is gone now: destroyed here, and on your partner's side as soon as their daemon "
            "hears of it. It cannot be viewed again.\n");
  ASSERT_EQ(Cli({"--json", "view", "21"}), cli::kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("{\"text\":\"only once\",\"message\":{\"id\":\"21\""),
            std::string::npos)
      << out_.str();
  ExpectUsageError({"view"}, "give the message's ID");
  ExpectUsageError({"view", "x1"}, "invalid message id 'x1'");
}

TEST_F(CliMessenger, PinAnyway) {
  EXPECT_EQ(Cli({"pin", "30"}), cli::kExitDaemonError);
  EXPECT_FALSE(LastRequest().pin().anyway());
  EXPECT_NE(err_.str().find("pin it --anyway"), std::string::npos) << err_.str();
  ASSERT_EQ(Cli({"pin", "30", "--anyway"}), cli::kExitOk) << err_.str();
  EXPECT_TRUE(LastRequest().pin().anyway());
  EXPECT_EQ(out_.str(),
            "Pinned #30: it is a shared memory now, on both sides ('inmost memories' lists "
            "them).\n"
            "It still disappears as set, and its pin with it.\n");
  ASSERT_EQ(Cli({"pin", "#31"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "Pinned #31: it is a shared memory now, on both sides ('inmost memories' lists "
            "them).\n");
  ExpectUsageError({"pin"}, "give the message's ID");
}

TEST_F(CliMessenger, NewCommandsAreListedAndHaveHelp) {
  ASSERT_EQ(Cli({"--help"}), cli::kExitOk);
  for (const char* name : {"edit", "versions", "view"}) {
    EXPECT_TRUE(OutHas(std::string("\n  ") + name + " ")) << name << '\n' << out_.str();
  }
  ASSERT_EQ(Cli({"edit", "--help"}), cli::kExitOk);
  EXPECT_TRUE(out_.str().starts_with("Usage: inmost edit ID TEXT... | -\n")) << out_.str();
  ASSERT_EQ(Cli({"pin", "--help"}), cli::kExitOk);
  EXPECT_TRUE(out_.str().starts_with("Usage: inmost pin ID [--anyway]\n")) << out_.str();
}

}  // namespace
}  // namespace inmost
