// Questions and their answers (envelopes.h): a question asked of the partner, or
// the question of the day both daemons derive, answered with an ANSWER envelope
// whose key leaves only once both have answered (a mutual reveal). An answer
// never opens here while ours is withdrawn.
#include "daemon/core/envelopes/envelope_records.h"
#include "daemon/core/envelopes/envelopes.h"
#include "daemon/core/message_view.h"
#include "daemon/crypto/envelope_seal.h"

namespace inmost::core {
namespace {

using records::EnvelopeRecord;
using records::HistoryEntry;

}  // namespace

Result<control::AskReply> Envelopes::Ask(const control::AskRequest& request) {
  INMOST_RETURN_IF_ERROR(ValidateText(request.text(), "the question", kMaxNoteBytes * 5));
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::OUTGOING);
  entry.set_state(HistoryEntry::PENDING);
  entry.set_text(request.text());
  entry.set_sent_at_unix_ms(clock_.NowUnixMs());
  entry.mutable_question()->set_question_id(crypto::NewEnvelopeId());
  Save(entry);
  Index(kQuestionPrefix, entry.question().question_id(), entry.id());
  peer::Deliver item;
  item.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  item.mutable_question()->set_question_id(entry.question().question_id());
  item.mutable_question()->set_text(entry.text());
  entry.set_seq(conversation_.EnqueueItem(std::move(item), entry.id()));
  Save(entry);
  control::AskReply reply;
  reply.set_id(entry.id());
  return reply;
}

Result<HistoryEntry> Envelopes::DailyQuestion(int64_t day) {
  if (!daily_) return FailedPrecondition("there is a question of the day once you are paired");
  std::string question_id = daily_->QuestionId(day);
  auto found = Find(kQuestionPrefix, question_id);
  if (found.ok() || found.status().code() != Code::kNotFound) return found;
  // Nobody has answered it yet: it becomes part of the history now.
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::OUTGOING);
  entry.set_state(HistoryEntry::DELIVERED);  // The partner derives it too.
  entry.set_text(daily_->Question(day));
  entry.set_sent_at_unix_ms(clock_.NowUnixMs());
  entry.mutable_question()->set_question_id(question_id);
  entry.mutable_question()->set_date(FormatUtcDate(day));
  Save(entry);
  Index(kQuestionPrefix, question_id, entry.id());
  return entry;
}

Result<control::AnswerReply> Envelopes::Answer(const control::AnswerRequest& request) {
  auto file = PrepareBody(request.text(), request.file_path(), request.upload_id(), "the answer");
  if (!file.ok()) return file.status();
  Result<HistoryEntry> question = NotFound("");
  if (request.today()) {
    question = DailyQuestion(UtcDay(clock_.NowUnixMs()));
  } else {
    question = Lookup(request.question_id());
    if (question.ok() && !question->has_question()) {
      return InvalidArgument("message " + conversation_.Describe(request.question_id()) +
                             " is not a question");
    }
  }
  if (!question.ok()) return question.status();
  if (question->question().my_answer_id() != 0) {
    return AlreadyExists("you have already answered this question (message " +
                         conversation_.Describe(question->question().my_answer_id()) +
                         "); retract that answer first to answer again");
  }
  HistoryEntry answer;
  answer.set_text(request.text());
  auto* envelope = answer.mutable_envelope();
  envelope->set_kind(EnvelopeRecord::ANSWER);
  envelope->set_question_id(question->question().question_id());
  envelope->set_question_entry_id(question->id());
  SendEnvelope(answer, &*question, *file ? &**file : nullptr);
  question->mutable_question()->set_my_answer_id(answer.id());
  Save(*question);
  PublishChanged(*question);
  if (question->question().their_answer_id() != 0) Release(answer);
  control::AnswerReply reply;
  reply.set_id(answer.id());
  return reply;
}

Result<control::TodayReply> Envelopes::Today(const control::TodayRequest& request) const {
  if (!daily_) return FailedPrecondition("there is a question of the day once you are paired");
  int64_t day = UtcDay(clock_.NowUnixMs());
  if (!request.date().empty()) {
    auto parsed = ParseUtcDate(request.date());
    if (!parsed.ok()) return parsed.status();
    day = *parsed;
  }
  control::TodayReply reply;
  reply.set_date(FormatUtcDate(day));
  reply.set_question(daily_->Question(day));
  auto found = Find(kQuestionPrefix, daily_->QuestionId(day));
  if (found.ok()) {
    reply.set_id(found->id());
    *reply.mutable_state() = MessageView(*found, partner_present_).question();
  } else if (found.status().code() != Code::kNotFound) {
    return found.status();
  } else {
    reply.mutable_state()->set_state(control::Message::Question::UNANSWERED);
    reply.mutable_state()->set_of_the_day(true);
    reply.mutable_state()->set_date(reply.date());
  }
  return reply;
}

bool Envelopes::HasStandingAnswer(const EnvelopeRecord& their_answer) const {
  auto question = Lookup(their_answer.question_entry_id());
  return question.ok() && question->question().my_answer_id() != 0;
}

void Envelopes::OnQuestion(const peer::Deliver& item) {
  const peer::QuestionAsked& asked = item.question();
  if (asked.question_id().size() != crypto::kEnvelopeIdSize) {
    log_.Warning("ignoring a malformed question from the partner");
    return;
  }
  if (Find(kQuestionPrefix, asked.question_id()).ok()) return;
  HistoryEntry entry = Received(item);
  entry.set_text(asked.text());
  entry.mutable_question()->set_question_id(asked.question_id());
  Save(entry);
  Index(kQuestionPrefix, asked.question_id(), entry.id());
  PublishReceived(entry);
}

}  // namespace inmost::core
