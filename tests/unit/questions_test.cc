// Questions and their answers across a pair with no sockets (test_envelopes.py end
// to end): an answer stays sealed until both have answered, then both open on both
// sides; a withdrawn answer never opens the partner's; the question of the day is
// the same on both sides with nothing sent.
#include <gtest/gtest.h>

#include "tests/unit/core_fixture.h"
#include "tests/unit/core_requests.h"

namespace inmost::test {
namespace {

using control::Message;
using Envelope = control::Message::Envelope;
using Question = control::Message::Question;

class QuestionsTest : public CorePairTest {
 protected:
  // a asks `text`; returns the question's id on a and on b.
  std::pair<uint64_t, uint64_t> Ask(const std::string& text) {
    control::Request request;
    request.mutable_ask()->set_text(text);
    auto asked = a().Call(request);
    EXPECT_TRUE(asked.ok()) << asked.status().ToString();
    pair_.Settle();
    auto at_b = Newest(b(), Message::INCOMING, Message::QUESTION);
    EXPECT_TRUE(at_b.has_value());
    EXPECT_EQ(at_b ? at_b->text() : "", text);
    return {asked.ok() ? asked->ask().id() : 0, at_b ? at_b->id() : 0};
  }
  Result<uint64_t> Answer(CoreSide& side, uint64_t question, const std::string& text) {
    control::Request request;
    request.mutable_answer()->set_question_id(question);
    request.mutable_answer()->set_text(text);
    auto answered = side.Call(request);
    if (!answered.ok()) return answered.status();
    return answered->answer().id();
  }
  Result<uint64_t> AnswerToday(CoreSide& side, const std::string& text) {
    control::Request request;
    request.mutable_answer()->set_today(true);
    request.mutable_answer()->set_text(text);
    auto answered = side.Call(request);
    if (!answered.ok()) return answered.status();
    return answered->answer().id();
  }
  Question::State QuestionState(CoreSide& side, uint64_t id) {
    auto m = side.Message(id);
    return m ? m->question().state() : Question::STATE_UNSPECIFIED;
  }
  // The partner's answer to question `id` as `side` holds it.
  Message TheirAnswer(CoreSide& side, uint64_t id) {
    auto q = side.Message(id);
    EXPECT_TRUE(q && q->question().their_answer_id() != 0);
    if (!q) return Message();
    return side.Message(q->question().their_answer_id()).value_or(Message());
  }
  Result<control::Response> Retract(CoreSide& side, uint64_t id) {
    control::Request request;
    request.mutable_retract()->set_id(id);
    return side.Call(request);
  }
};

TEST_F(QuestionsTest, AnswersOpenOnlyOnceBothAreIn) {
  auto [qa, qb] = Ask("What did you dream of?");
  EXPECT_EQ(QuestionState(a(), qa), Question::UNANSWERED);
  auto mine = Answer(a(), qa, "of the sea");
  ASSERT_TRUE(mine.ok());
  pair_.Settle();
  EXPECT_EQ(QuestionState(a(), qa), Question::WAITING_FOR_THEM);
  EXPECT_EQ(QuestionState(b(), qb), Question::WAITING_FOR_YOU);
  EXPECT_EQ(TheirAnswer(b(), qb).text(), "");
  EXPECT_EQ(TheirAnswer(b(), qb).envelope().state(), Envelope::WITHHELD);
  EXPECT_TRUE(StoreLacks(b(), "of the sea"));

  ASSERT_TRUE(Answer(b(), qb, "of you").ok());
  pair_.Settle();
  EXPECT_EQ(QuestionState(a(), qa), Question::REVEALED);
  EXPECT_EQ(QuestionState(b(), qb), Question::REVEALED);
  EXPECT_EQ(TheirAnswer(a(), qa).text(), "of you");
  EXPECT_EQ(TheirAnswer(b(), qb).text(), "of the sea");
  EXPECT_EQ(a().Message(*mine)->envelope().state(), Envelope::OPENED);

  // Answering twice is refused; so is an answer to no question.
  EXPECT_EQ(Answer(a(), qa, "again").status().code(), Code::kAlreadyExists);
  EXPECT_FALSE(Answer(a(), 999999, "x").ok());
  EXPECT_EQ(Retract(a(), *mine).status().code(), Code::kFailedPrecondition);

  // Revealed stays revealed over restarts.
  ASSERT_TRUE(a().Restart().ok());
  ASSERT_TRUE(b().Restart().ok());
  EXPECT_EQ(QuestionState(a(), qa), Question::REVEALED);
  EXPECT_EQ(TheirAnswer(a(), qa).text(), "of you");
}

TEST_F(QuestionsTest, AnAnswerWithdrawnAsThePartnerAnswersDoesNotOpenTheirs) {
  auto [qa, qb] = Ask("Which day would you live again?");
  auto first = Answer(a(), qa, "first thought");
  ASSERT_TRUE(first.ok());
  pair_.Settle();
  // b answers and releases at once, as a's answer is here; a withdraws hers
  // before b's answer and key reach her.
  pair_.LinkDown();
  ASSERT_TRUE(Answer(b(), qb, "bob's day").ok());
  ASSERT_TRUE(Retract(a(), *first).ok());
  pair_.LinkUp();
  Message held = TheirAnswer(a(), qa);
  EXPECT_EQ(held.envelope().state(), Envelope::WITHHELD);
  EXPECT_EQ(held.text(), "");
  EXPECT_EQ(QuestionState(a(), qa), Question::WAITING_FOR_YOU);
  EXPECT_EQ(b()->conversation.unacknowledged(), 0u);

  auto second = Answer(a(), qa, "second thought");
  ASSERT_TRUE(second.ok());
  pair_.Settle();
  EXPECT_EQ(TheirAnswer(a(), qa).text(), "bob's day");
  EXPECT_EQ(TheirAnswer(b(), qb).text(), "second thought");
  EXPECT_EQ(a().Message(*second)->envelope().state(), Envelope::OPENED);
  EXPECT_TRUE(StoreLacks(b(), "first thought"));
}

TEST_F(QuestionsTest, ARetractedAnswerCanBeGivenAgain) {
  auto [qa, qb] = Ask("What do you wish I asked?");
  auto first = Answer(a(), qa, "withdrawn words");
  ASSERT_TRUE(first.ok());
  pair_.Settle();
  uint64_t held = TheirAnswer(b(), qb).id();
  ASSERT_TRUE(Retract(a(), *first).ok());
  pair_.Settle();
  EXPECT_EQ(b().Message(held)->envelope().state(), Envelope::WITHDRAWN);
  EXPECT_EQ(QuestionState(b(), qb), Question::UNANSWERED);
  EXPECT_EQ(QuestionState(a(), qa), Question::UNANSWERED);

  auto second = Answer(a(), qa, "kept words");
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, *first);
  pair_.Settle();
  ASSERT_TRUE(Answer(b(), qb, "b's words").ok());
  pair_.Settle();
  EXPECT_EQ(TheirAnswer(b(), qb).text(), "kept words");
  EXPECT_EQ(b().Message(held)->text(), "");
  EXPECT_TRUE(StoreLacks(b(), "withdrawn words"));
}

TEST_F(QuestionsTest, TheQuestionOfTheDayIsTheSameOnBothSidesWithNothingSent) {
  control::Request today;
  today.mutable_today();
  a().channel().Take();
  auto at_a = a().Call(today);
  auto at_b = b().Call(today);
  ASSERT_TRUE(at_a.ok() && at_b.ok());
  EXPECT_EQ(at_a->today().question(), at_b->today().question());
  EXPECT_EQ(at_a->today().date(), "2024-03-01");
  EXPECT_EQ(at_a->today().state().state(), Question::UNANSWERED);
  EXPECT_TRUE(a().channel().sent().empty());
  // The next UTC day (to the millisecond) has the next question.
  pair_.Advance(std::chrono::hours(12) - std::chrono::milliseconds(1));
  EXPECT_EQ(a().Call(today)->today().date(), "2024-03-01");
  pair_.Advance(std::chrono::milliseconds(1));
  auto next = a().Call(today);
  EXPECT_EQ(next->today().date(), "2024-03-02");
  EXPECT_EQ(next->today().question(), b().Call(today)->today().question());
}

TEST_F(QuestionsTest, TheQuestionOfTheDayAnsweredByBothWhileApartIsRevealed) {
  pair_.LinkDown();
  auto mine = AnswerToday(a(), "a's answer");
  auto theirs = AnswerToday(b(), "b's answer");
  ASSERT_TRUE(mine.ok() && theirs.ok());
  pair_.LinkUp();
  control::Request today;
  today.mutable_today();
  auto at_a = a().Call(today);
  auto at_b = b().Call(today);
  ASSERT_TRUE(at_a.ok() && at_b.ok());
  EXPECT_EQ(at_a->today().state().state(), Question::REVEALED);
  EXPECT_EQ(at_b->today().state().state(), Question::REVEALED);
  EXPECT_EQ(TheirAnswer(a(), at_a->today().id()).text(), "b's answer");
  EXPECT_EQ(TheirAnswer(b(), at_b->today().id()).text(), "a's answer");
}

}  // namespace
}  // namespace inmost::test
