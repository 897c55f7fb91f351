// The CLI side of sealed messages, questions and scheduled sends: the options and
// commands against a fake daemon, and how envelopes look in history and chat.
#include <gtest/gtest.h>

#include <string>

#include "cli/message_format.h"
#include "cli/text_format.h"
#include "tests/unit/cli_test_fixture.h"

namespace inmost {
namespace {

using control::Message;
using control::Request;
using control::Response;
using Envelope = control::Message::Envelope;
using Question = control::Message::Question;

constexpr int64_t kNow = 1802592000000;  // 2027-02-14T08:00:00Z
constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

using test::UtcTest;

// Answers the requests these tests need.
class EnvelopeHandler : public test::RecordingHandler {
 protected:
  Response Answer(const Request& request) override {
    Response response;
    switch (request.body_case()) {
      case Request::kSend:
        response.mutable_send()->set_id(12);
        break;
      case Request::kAsk:
        response.mutable_ask()->set_id(10);
        break;
      case Request::kAnswer:
        response.mutable_answer()->set_id(13);
        break;
      case Request::kToday:
        response.mutable_today()->set_date(request.today().date().empty() ? "2027-02-14"
                                                                          : request.today().date());
        response.mutable_today()->set_question("What did I do this week that you liked?");
        response.mutable_today()->mutable_state()->set_state(Question::UNANSWERED);
        if (request.today().date() == "2027-02-13") {  // Both answered, as #13 and #14.
          response.mutable_today()->set_id(12);
          response.mutable_today()->mutable_state()->set_state(Question::REVEALED);
          response.mutable_today()->mutable_state()->set_my_answer_id(13);
          response.mutable_today()->mutable_state()->set_their_answer_id(14);
        }
        break;
      case Request::kHistory: {  // The newest page: #14 (theirs) above #13 (yours).
        if (request.history().before_id() != 0) break;
        for (uint64_t id : {14u, 13u}) {
          Message* answer = response.mutable_history()->add_messages();
          answer->set_id(id);
          answer->set_direction(id == 13 ? Message::OUTGOING : Message::INCOMING);
          answer->set_state(Message::READ);
          answer->set_kind(Message::ENVELOPE);
          answer->set_text(id == 13 ? "the walk by the river" : "your soup");
          answer->set_sent_at_unix_ms(kNow);
          answer->mutable_envelope()->set_kind(Envelope::ANSWER);
          answer->mutable_envelope()->set_state(Envelope::OPENED);
          answer->mutable_envelope()->set_question_id(12);
        }
        break;
      }
      case Request::kOpen:
        response.mutable_open();
        break;
      case Request::kRetract:
        response.mutable_retract();
        break;
      case Request::kEnvelopes: {
        Message* message = response.mutable_envelopes()->add_messages();
        message->set_id(7);
        message->set_direction(Message::INCOMING);
        message->set_kind(Message::ENVELOPE);
        message->mutable_envelope()->set_kind(Envelope::GENTLE);
        message->mutable_envelope()->set_state(Envelope::WITHHELD);
        message->mutable_envelope()->set_note("about the trip");
        break;
      }
      case Request::kStatus:
        response.mutable_status()->set_paired(true);
        response.mutable_status()->set_link_up(true);
        response.mutable_status()->set_present(true);
        response.mutable_status()->set_partner_present(false);
        break;
      default:
        response.mutable_error()->set_code(static_cast<uint32_t>(Code::kNotFound));
        response.mutable_error()->set_message("nothing here");
    }
    return response;
  }
};

class CliEnvelopeCommands : public test::CliFixture {
 protected:
  test::RecordingHandler& handler() override { return handler_; }

  EnvelopeHandler handler_;
};

TEST_F(CliEnvelopeCommands, SendOptionsFillTheRequest) {
  ASSERT_EQ(Cli({"send", "--open-at", "2099-02-14 09:00", "sealed", "words"}), cli::kExitOk);
  Request request = LastRequest();
  EXPECT_EQ(request.send().text(), "sealed words");
  EXPECT_EQ(request.send().open_at_unix_ms(), 4074742800000);  // 2099-02-14T09:00:00Z
  EXPECT_FALSE(request.send().gentle());
  EXPECT_EQ(request.send().send_at_unix_ms(), 0);
  EXPECT_TRUE(OutHas("Sealed message #12 is on its way; it opens at 2099-02-14 09:00 (in "))
      << out_.str();

  ASSERT_EQ(Cli({"send", "--open-at", "2099-02-14T10:00:00+01:00", "x"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().send().open_at_unix_ms(), 4074742800000);

  int64_t before = cli::NowUnixMs();
  ASSERT_EQ(Cli({"send", "--open-in", "3d12h", "in a while"}), cli::kExitOk);
  int64_t after = cli::NowUnixMs();
  int64_t open_at = LastRequest().send().open_at_unix_ms();
  EXPECT_GE(open_at, before + 3 * kDay + 12 * kHour);
  EXPECT_LE(open_at, after + 3 * kDay + 12 * kHour);
  EXPECT_TRUE(OutHas("(in 3d 12h)")) << out_.str();

  ASSERT_EQ(Cli({"send", "--gentle", "--note", "about my father", "-"}, "the body\n"),
            cli::kExitOk);
  request = LastRequest();
  EXPECT_TRUE(request.send().gentle());
  EXPECT_EQ(request.send().note(), "about my father");
  EXPECT_EQ(request.send().text(), "the body");
  EXPECT_EQ(request.send().open_at_unix_ms(), 0);
  EXPECT_TRUE(OutHas("Gentle message #12")) << out_.str();
  EXPECT_TRUE(OutHas("opens it when ready")) << out_.str();

  ASSERT_EQ(Cli({"send", "--together", "--note", "for tonight", "a letter"}), cli::kExitOk);
  EXPECT_TRUE(LastRequest().send().together());
  EXPECT_EQ(LastRequest().send().note(), "for tonight");
  EXPECT_TRUE(OutHas("Together message #12")) << out_.str();

  ASSERT_EQ(Cli({"send", "--send-at", "2099-02-14T09:00", "later"}), cli::kExitOk);
  request = LastRequest();
  EXPECT_EQ(request.send().send_at_unix_ms(), 4074742800000);
  EXPECT_EQ(request.send().open_at_unix_ms(), 0);
  EXPECT_TRUE(OutHas("Scheduled message #12 leaves at 2099-02-14 09:00 (in ")) << out_.str();
  EXPECT_TRUE(OutHas("cancel with: inmost cancel 12")) << out_.str();

  ASSERT_EQ(Cli({"send", "plain"}), cli::kExitOk);
  request = LastRequest();
  EXPECT_EQ(request.send().text(), "plain");
  EXPECT_EQ(request.send().open_at_unix_ms(), 0);
  EXPECT_FALSE(request.send().gentle() || request.send().together());
  EXPECT_TRUE(request.send().note().empty());
  // The fake link is up but no delivery is announced.
  EXPECT_TRUE(OutHas("Message #12 is on its way")) << out_.str();

  ASSERT_EQ(Cli({"--json", "send", "--gentle", "x"}), cli::kExitOk);
  EXPECT_EQ(out_.str(), "{\"id\":\"12\",\"sent_at_unix_ms\":\"0\"}\n");
}

TEST_F(CliEnvelopeCommands, SendOptionUsageErrors) {
  ExpectUsageError({"send", "--gentle", "--together", "x"}, "cannot be combined");
  ExpectUsageError({"send", "--open-at", "2099-02-14 09:00", "--send-at", "2099-02-14 09:00", "x"},
                   "--open-at and --send-at cannot be combined");
  ExpectUsageError({"send", "--open-in", "1h", "--open-at", "2099-02-14 09:00", "x"},
                   "cannot be combined");
  ExpectUsageError({"send", "--note", "hello", "x"}, "--note goes only with");
  ExpectUsageError({"send", "--send-at", "2099-02-14 09:00", "--note", "n", "x"},
                   "--note goes only with");
  ExpectUsageError({"send", "--gentle", "--note", std::string(201, 'n'), "x"}, "at most 200");
  ExpectUsageError({"send", "--open-at", "2027-02-30 09:00", "x"}, "February 2027 has 28 days");
  ExpectUsageError({"send", "--open-at", "next friday", "x"}, "invalid time 'next friday'");
  ExpectUsageError({"send", "--send-at", "09:00", "x"}, "--send-at: invalid time");
  ExpectUsageError({"send", "--open-in", "soon", "x"}, "--open-in: invalid duration");
  ExpectUsageError({"send", "--open-in", "0s", "x"}, "longer than zero");
  ExpectUsageError({"send", "--open-in", "999999999999999999s", "x"}, "too long");
  ExpectUsageError({"send", "--open-at", "1960-01-01 00:00", "x"}, "after 1970");
  ExpectUsageError({"send", "--gentle"}, "no text");
  ExpectUsageError({"send", "--open-at"}, "open-at");
  // A usage error leaves standard input alone (nothing is read, nothing sent).
  ExpectUsageError({"send", "--gentle", "--together", "-"}, "cannot be combined");
  // The note may be exactly 200 bytes.
  EXPECT_EQ(Cli({"send", "--gentle", "--note", std::string(200, 'n'), "x"}), cli::kExitOk);
}

TEST_F(CliEnvelopeCommands, AskAndAnswer) {
  ASSERT_EQ(Cli({"ask", "What", "made", "you", "laugh?"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().ask().text(), "What made you laugh?");
  EXPECT_TRUE(OutHas("Question #10")) << out_.str();
  EXPECT_TRUE(OutHas("inmost answer 10 TEXT")) << out_.str();
  ExpectUsageError({"ask"}, "no question");

  ASSERT_EQ(Cli({"answer", "10", "you", "did"}), cli::kExitOk);
  Request request = LastRequest();
  EXPECT_EQ(request.answer().question_id(), 10u);
  EXPECT_FALSE(request.answer().today());
  EXPECT_EQ(request.answer().text(), "you did");
  EXPECT_TRUE(OutHas("#13")) << out_.str();
  ASSERT_EQ(Cli({"answer", "#10", "-"}, "from stdin\n"), cli::kExitOk);
  EXPECT_EQ(LastRequest().answer().question_id(), 10u);
  EXPECT_EQ(LastRequest().answer().text(), "from stdin");
  ASSERT_EQ(Cli({"answer", "today", "the", "sea"}), cli::kExitOk);
  request = LastRequest();
  EXPECT_TRUE(request.answer().today());
  EXPECT_EQ(request.answer().question_id(), 0u);
  EXPECT_EQ(request.answer().text(), "the sea");
  ASSERT_EQ(Cli({"--json", "answer", "today", "x"}), cli::kExitOk);
  EXPECT_EQ(out_.str(), "{\"id\":\"13\"}\n");

  ExpectUsageError({"answer"}, "give the question's ID");
  ExpectUsageError({"answer", "10"}, "no answer");
  ExpectUsageError({"answer", "yesterday", "x"}, "invalid question 'yesterday'");
  ExpectUsageError({"answer", "0", "x"}, "invalid question '0'");
}

TEST_F(CliEnvelopeCommands, TodayShowsTheQuestionAndHowToAnswer) {
  ASSERT_EQ(Cli({"today"}), cli::kExitOk);
  EXPECT_TRUE(LastRequest().today().date().empty());
  EXPECT_TRUE(OutHas("2027-02-14")) << out_.str();
  EXPECT_TRUE(OutHas("What did I do this week that you liked?")) << out_.str();
  EXPECT_TRUE(OutHas("answer with: inmost answer today TEXT")) << out_.str();
  ASSERT_EQ(Cli({"today", "--date", "2027-03-01"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().today().date(), "2027-03-01");
  ASSERT_EQ(Cli({"--json", "today"}), cli::kExitOk);
  EXPECT_NE(out_.str().find("\"question\":\"What did I do this week that you liked?\""),
            std::string::npos)
      << out_.str();
  // Both answered and opened: both answers, each with whose it is.
  ASSERT_EQ(Cli({"today", "--date", "2027-02-13"}), cli::kExitOk);
  // Numbers are not in history order: the answers are looked for in the newest page.
  EXPECT_EQ(LastRequest().history().before_id(), 0u);
  EXPECT_TRUE(
      OutHas("You have both answered:\n"
             "  [2027-02-14 08:00] you: the walk by the river  (#13 "))
      << out_.str();
  EXPECT_TRUE(OutHas("\n  [2027-02-14 08:00] partner: your soup  (#14 ")) << out_.str();
  EXPECT_FALSE(OutHas("inmost history")) << out_.str();
  EXPECT_FALSE(OutHas("answer with")) << out_.str();
  ExpectUsageError({"today", "--date", "2027-02-30"}, "February 2027 has 28 days");
  ExpectUsageError({"today", "--date", "tomorrow"}, "YYYY-MM-DD");
  ExpectUsageError({"today", "extra"}, "today");
}

TEST_F(CliEnvelopeCommands, OpenRetractCancelTakeOneId) {
  ASSERT_EQ(Cli({"open", "12"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().open().id(), 12u);
  EXPECT_TRUE(OutHas("#12")) << out_.str();
  ASSERT_EQ(Cli({"open", "#12"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().open().id(), 12u);
  ASSERT_EQ(Cli({"retract", "5"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().retract().id(), 5u);
  EXPECT_TRUE(OutHas("withdrawn")) << out_.str();
  ASSERT_EQ(Cli({"cancel", "6"}), cli::kExitOk);
  EXPECT_EQ(LastRequest().retract().id(), 6u);
  EXPECT_TRUE(OutHas("cancelled")) << out_.str();
  ASSERT_EQ(Cli({"--json", "cancel", "6"}), cli::kExitOk);
  EXPECT_EQ(out_.str(), "{}\n");
  ASSERT_EQ(Cli({"retract", "--help"}), cli::kExitOk);
  ASSERT_EQ(Cli({"cancel", "--help"}), cli::kExitOk);
  EXPECT_TRUE(OutHas("scheduled")) << out_.str();

  for (const char* command : {"open", "retract", "cancel"}) {
    ExpectUsageError({command}, "give the message's ID");
    ExpectUsageError({command, "abc"}, "invalid message id 'abc'");
    ExpectUsageError({command, "0"}, "invalid message id '0'");
    ExpectUsageError({command, "1", "2"}, command);
    ExpectUsageError({command, "99999999999999999999"}, "invalid message id");
  }
}

TEST_F(CliEnvelopeCommands, EnvelopesAndStatus) {
  ASSERT_EQ(Cli({"envelopes"}), cli::kExitOk);
  EXPECT_TRUE(LastRequest().has_envelopes());
  EXPECT_TRUE(OutHas("gentle: \"about the trip\" — open with: inmost open 7")) << out_.str();
  ASSERT_EQ(Cli({"status"}), cli::kExitOk);
  EXPECT_TRUE(OutHas("\nChat open:         you yes, partner no\n")) << out_.str();
}

Message Incoming(uint64_t id, Envelope::Kind kind, Envelope::State state) {
  Message message;
  message.set_id(id);
  message.set_direction(Message::INCOMING);
  message.set_state(Message::READ);
  message.set_sent_at_unix_ms(kNow - kHour);
  message.set_received_at_unix_ms(kNow - kHour);
  message.set_kind(Message::ENVELOPE);
  message.mutable_envelope()->set_kind(kind);
  message.mutable_envelope()->set_state(state);
  return message;
}

Message Outgoing(uint64_t id, Envelope::Kind kind, Envelope::State state, std::string text) {
  Message message = Incoming(id, kind, state);
  message.set_direction(Message::OUTGOING);
  message.set_text(std::move(text));
  return message;
}

std::string Format(const Message& message) {
  return cli::FormatMessage(message, cli::kDateTimeFormat, kNow);
}

TEST(CliEnvelopeFormat, Countdown) {
  EXPECT_EQ(cli::FormatCountdown(80 * kDay + 21 * kHour + 5 * kMinute), "80d 21h");
  EXPECT_EQ(cli::FormatCountdown(2 * kDay + 3 * kHour), "2d 3h");
  EXPECT_EQ(cli::FormatCountdown(2 * kDay + 5 * kMinute), "2d");
  EXPECT_EQ(cli::FormatCountdown(3 * kHour + 12 * kMinute + 59000), "3h 12m");
  EXPECT_EQ(cli::FormatCountdown(90 * 1000), "1m 30s");
  EXPECT_EQ(cli::FormatCountdown(45 * 1000), "45s");
  EXPECT_EQ(cli::FormatCountdown(1), "1s");
  EXPECT_EQ(cli::FormatCountdown(0), "0s");
  EXPECT_EQ(cli::FormatCountdown(-5), "0s");
}

TEST(CliEnvelopeFormat, Sealed) {
  UtcTest utc;
  Message held = Incoming(12, Envelope::SEALED, Envelope::WITHHELD);
  held.mutable_envelope()->set_open_at_unix_ms(kNow + 2 * kDay + 3 * kHour);
  EXPECT_EQ(Format(held),
            "[2027-02-14 07:00] partner: [sealed message]  (#12 sealed until 2027-02-16 11:00, "
            "opens in 2d 3h)");
  held.mutable_envelope()->set_note("for our day");
  EXPECT_EQ(Format(held),
            "[2027-02-14 07:00] partner: [sealed message]  (#12 sealed: \"for our day\" — until "
            "2027-02-16 11:00, opens in 2d 3h)");
  held.mutable_envelope()->set_open_at_unix_ms(kNow - kMinute);
  EXPECT_NE(Format(held).find("opens as soon as the key arrives"), std::string::npos);

  Message mine = Outgoing(3, Envelope::SEALED, Envelope::WITHHELD, "happy birthday");
  mine.set_state(Message::PENDING);
  mine.mutable_envelope()->set_open_at_unix_ms(kNow + 90 * 1000);
  EXPECT_EQ(Format(mine),
            "[2027-02-14 07:00] you: happy birthday  (#3 sealed until 2027-02-14 08:01, opens in "
            "1m 30s, not yet delivered)");

  Message opened = Incoming(12, Envelope::SEALED, Envelope::OPENED);
  opened.set_text("it is open");
  opened.mutable_envelope()->set_opened_at_unix_ms(kNow);
  EXPECT_EQ(Format(opened),
            "[2027-02-14 07:00] partner: it is open  (#12 sealed, opened 2027-02-14 08:00)");
  Message released = Outgoing(3, Envelope::SEALED, Envelope::RELEASED, "x");
  EXPECT_NE(Format(released).find("key released"), std::string::npos);
}

TEST(CliEnvelopeFormat, GentleTogetherWithdrawnMismatch) {
  UtcTest utc;
  Message gentle = Incoming(12, Envelope::GENTLE, Envelope::WITHHELD);
  gentle.mutable_envelope()->set_note("about my father");
  gentle.set_state(Message::DELIVERED);
  EXPECT_EQ(Format(gentle),
            "[2027-02-14 07:00] partner: [gentle message]  (#12 gentle: \"about my father\" — "
            "open with: inmost open 12, new)");
  gentle.mutable_envelope()->set_open_requested(true);
  EXPECT_NE(Format(gentle).find("opening"), std::string::npos);
  Message mine = Outgoing(4, Envelope::GENTLE, Envelope::WITHHELD, "body");
  EXPECT_NE(Format(mine).find("waiting for your partner to open it"), std::string::npos);

  // A partner's note cannot command the terminal either.
  gentle.mutable_envelope()->set_note("\x1b[2J");
  EXPECT_EQ(Format(gentle).find('\x1b'), std::string::npos);

  Message together = Incoming(13, Envelope::TOGETHER, Envelope::WITHHELD);
  EXPECT_NE(Format(together).find("opens while you both have a chat open; your partner has none "
                                  "open"),
            std::string::npos)
      << Format(together);
  together.mutable_envelope()->set_partner_present(true);
  EXPECT_NE(Format(together).find("your partner has one open"), std::string::npos);

  Message withdrawn = Incoming(14, Envelope::SEALED, Envelope::WITHDRAWN);
  EXPECT_EQ(Format(withdrawn),
            "[2027-02-14 07:00] partner: [withdrawn]  (#14 sealed, withdrawn by your partner)");
  Message mine_withdrawn = Outgoing(5, Envelope::GENTLE, Envelope::WITHDRAWN, "never mind");
  EXPECT_EQ(Format(mine_withdrawn), "[2027-02-14 07:00] you: never mind  (#5 gentle, withdrawn)");

  Message mismatch = Incoming(15, Envelope::ANSWER, Envelope::MISMATCH);
  mismatch.mutable_envelope()->set_question_id(9);
  EXPECT_EQ(Format(mismatch),
            "[2027-02-14 07:00] partner: [not opened]  (#15 their answer to #9: does not match "
            "what was committed: it may have been altered)");
}

TEST(CliEnvelopeFormat, AnswersAndQuestions) {
  UtcTest utc;
  Message theirs = Incoming(15, Envelope::ANSWER, Envelope::WITHHELD);
  theirs.mutable_envelope()->set_question_id(9);
  EXPECT_EQ(Format(theirs),
            "[2027-02-14 07:00] partner: [sealed answer]  (#15 their answer to #9 — waiting for "
            "your answer: inmost answer 9 TEXT)");
  Message mine = Outgoing(16, Envelope::ANSWER, Envelope::WITHHELD, "the sea");
  mine.mutable_envelope()->set_question_id(9);
  EXPECT_EQ(Format(mine),
            "[2027-02-14 07:00] you: the sea  (#16 your answer to #9 — waiting for theirs)");

  Message question;
  question.set_id(9);
  question.set_direction(Message::INCOMING);
  question.set_received_at_unix_ms(kNow);
  question.set_kind(Message::QUESTION);
  question.set_text("Where shall we go?");
  question.mutable_question()->set_state(Question::UNANSWERED);
  EXPECT_EQ(Format(question),
            "[2027-02-14 08:00] partner: Where shall we go?  (#9 question — not answered yet: "
            "inmost answer 9 TEXT)");
  question.mutable_question()->set_state(Question::WAITING_FOR_YOU);
  EXPECT_NE(Format(question).find("waiting for your answer"), std::string::npos);
  question.mutable_question()->set_state(Question::WAITING_FOR_THEM);
  question.mutable_question()->set_my_answer_id(16);
  EXPECT_NE(Format(question).find("you answered (#16); waiting for theirs"), std::string::npos);
  question.mutable_question()->set_state(Question::REVEALED);
  question.mutable_question()->set_their_answer_id(15);
  question.mutable_question()->set_of_the_day(true);
  question.mutable_question()->set_date("2027-02-14");
  EXPECT_EQ(Format(question),
            "[2027-02-14 08:00] question of the day: Where shall we go?  (#9 of 2027-02-14 — "
            "both answered: yours #16, theirs #15)");
}

TEST(CliEnvelopeFormat, ScheduledAndCancelled) {
  UtcTest utc;
  Message scheduled;
  scheduled.set_id(20);
  scheduled.set_direction(Message::OUTGOING);
  scheduled.set_state(Message::SCHEDULED);
  scheduled.set_text("good morning");
  scheduled.set_send_at_unix_ms(kNow + 25 * kHour);  // Not sent: no sent_at_unix_ms.
  EXPECT_EQ(Format(scheduled),
            "[2027-02-15 09:00] you: good morning  (#20 scheduled for 2027-02-15 09:00 (in 1d "
            "1h), cancel with: inmost cancel 20)");
  // Cancelled, it shows when it was written (if the store recorded it), not when it
  // was to leave.
  scheduled.set_state(Message::CANCELLED);
  EXPECT_EQ(Format(scheduled),
            "[2027-02-15 09:00] you: good morning  (#20 cancelled: never sent; it was for "
            "2027-02-15 09:00)");
  scheduled.set_written_at_unix_ms(kNow - kHour);
  EXPECT_EQ(Format(scheduled),
            "[2027-02-14 07:00] you: good morning  (#20 cancelled: never sent; it was for "
            "2027-02-15 09:00)");
}

TEST(CliEnvelopeFormat, ChatEvents) {
  UtcTest utc;
  control::Event event;
  event.mutable_partner_presence()->set_present(true);
  EXPECT_EQ(cli::FormatChatEvent(event), "-- your partner is here");
  event.mutable_partner_presence()->set_present(false);
  EXPECT_EQ(cli::FormatChatEvent(event), "-- your partner has left");
  Message opened = Incoming(12, Envelope::GENTLE, Envelope::OPENED);
  opened.set_text("here it is");
  *event.mutable_changed()->mutable_message() = opened;
  EXPECT_EQ(cli::FormatChatEvent(event),
            "-- changed: [2027-02-14 07:00] partner: here it is  (#12 gentle, opened)");
}

}  // namespace
}  // namespace inmost
