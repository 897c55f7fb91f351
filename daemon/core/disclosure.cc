#include "daemon/core/disclosure.h"

#include <algorithm>
#include <chrono>

#include "daemon/core/history_keys.h"
#include "daemon/core/message_view.h"
#include "daemon/core/release_condition.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/envelope_seal.h"
#include "daemon/store/record_key.h"

namespace inmost::core {
namespace {

namespace asio = boost::asio;
using records::EnvelopeRecord;
using records::HistoryEntry;

constexpr std::string_view kPendingPrefix = "p/";      // + history id: pending entries.
constexpr std::string_view kEnvelopePrefix = "e/";     // + envelope id: EntryIndex.
constexpr std::string_view kQuestionPrefix = "q/";     // + question id: EntryIndex.
constexpr std::string_view kContentKeyPrefix = "ek/";  // + envelope id: withheld key.
// The longest the release timer sleeps: a wall clock that jumps (a suspended
// laptop, a corrected clock) is noticed within this.
constexpr auto kMaxTimerWait = std::chrono::seconds(30);
// How soon a release is tried again while the store cannot be written.
constexpr auto kStoreRetryWait = std::chrono::seconds(1);

std::string PendingKey(uint64_t id) {
  return KeyWithId(kPendingPrefix, id);
}

std::string KeyFor(std::string_view prefix, const std::string& id) {
  return std::string(prefix) + id;
}

EnvelopeRecord::Kind RecordKind(peer::EnvelopeOffer::Kind kind) {
  switch (kind) {
    case peer::EnvelopeOffer::SEALED:
      return EnvelopeRecord::SEALED;
    case peer::EnvelopeOffer::ANSWER:
      return EnvelopeRecord::ANSWER;
    case peer::EnvelopeOffer::GENTLE:
      return EnvelopeRecord::GENTLE;
    case peer::EnvelopeOffer::TOGETHER:
      return EnvelopeRecord::TOGETHER;
    default:
      return EnvelopeRecord::KIND_UNSPECIFIED;
  }
}

bool IsOutgoing(const HistoryEntry& e) {
  return e.direction() == HistoryEntry::OUTGOING;
}

// At most `max` bytes of `text`, cut at a character boundary (stored strings must
// stay valid UTF-8, or the record would not parse again).
std::string TruncateUtf8(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string Describe(uint64_t id) {
  return "#" + std::to_string(id);
}

}  // namespace

Disclosure::Disclosure(asio::io_context& io, store::SealedStore& store, GroupCommit& commit,
                       Conversation& conversation, EventHub& events, PartnerChannel& channel,
                       FileTransfers& files, const Clock& clock, log::Logger& log)
    : store_(store),
      commit_(commit),
      conversation_(conversation),
      events_(events),
      channel_(channel),
      files_(files),
      clock_(clock),
      log_(log),
      timer_(io) {
  conversation_.AddReloadHook([this] { Reload(); });
}

Status Disclosure::Load() {
  pending_.clear();
  std::vector<uint64_t> ids;
  INMOST_RETURN_IF_ERROR(
      store_.ForEach(kPendingPrefix, [&](std::string_view key, std::string_view) {
        if (auto id = store::DecodeUint64(key.substr(kPendingPrefix.size()))) ids.push_back(*id);
        return true;
      }));
  for (uint64_t id : ids) {
    auto entry = conversation_.Entry(id);
    if (!entry.ok()) return entry.status();
    pending_.emplace(id, std::move(*entry));
  }
  return Status::Ok();
}

void Disclosure::Reload() {
  unwritten_keys_.clear();
  Status status = Load();
  if (!status.ok()) log_.Error("could not reload pending envelopes: " + status.ToString());
  ArmTimer();
}

void Disclosure::Start() {
  ReleaseWhatIsDue();
}

void Disclosure::Stop() {
  stopped_ = true;
  timer_.cancel();
}

// ---- requests -----------------------------------------------------------------------

Result<control::SendReply> Disclosure::Send(const control::SendRequest& request) {
  int kinds = (request.open_at_unix_ms() != 0 ? 1 : 0) + (request.gentle() ? 1 : 0) +
              (request.together() ? 1 : 0) + (request.send_at_unix_ms() != 0 ? 1 : 0);
  if (kinds != 1) {
    return InvalidArgument("choose one of: open at a time, gentle, together, or send at a time");
  }
  if (request.send_at_unix_ms() != 0) {
    if (!request.file_path().empty())
      return InvalidArgument("a scheduled message cannot carry a file");
    INMOST_RETURN_IF_ERROR(ValidateText(request.text(), "the message"));
    return Schedule(request);
  }
  if (!request.note().empty()) {
    INMOST_RETURN_IF_ERROR(ValidateText(request.note(), "the note", kMaxNoteBytes));
  }
  auto file = PrepareBody(request.text(), request.file_path(), "the message");
  if (!file.ok()) return file.status();
  HistoryEntry entry;
  entry.set_text(request.text());
  auto* envelope = entry.mutable_envelope();
  envelope->set_note(request.note());
  if (request.open_at_unix_ms() != 0) {
    envelope->set_kind(EnvelopeRecord::SEALED);
    envelope->set_open_at_unix_ms(request.open_at_unix_ms());
  } else {
    envelope->set_kind(request.gentle() ? EnvelopeRecord::GENTLE : EnvelopeRecord::TOGETHER);
  }
  SendEnvelope(entry, nullptr, *file ? &**file : nullptr);
  ReleaseWhatIsDue();  // A time already past opens at once.
  control::SendReply reply;
  reply.set_id(entry.id());
  reply.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  return reply;
}

Result<std::optional<PreparedFile>> Disclosure::PrepareBody(const std::string& text,
                                                            const std::string& file_path,
                                                            std::string_view what) const {
  if (file_path.empty()) {
    INMOST_RETURN_IF_ERROR(ValidateText(text, what));
    return std::optional<PreparedFile>();
  }
  if (!text.empty()) INMOST_RETURN_IF_ERROR(ValidateText(text, "the caption"));
  auto file = files_.Prepare(file_path);
  if (!file.ok()) return file.status();
  return std::optional<PreparedFile>(std::move(*file));
}

Result<control::SendReply> Disclosure::Schedule(const control::SendRequest& request) {
  if (!request.note().empty()) return InvalidArgument("a scheduled message has no note");
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::OUTGOING);
  entry.set_state(HistoryEntry::SCHEDULED);
  entry.set_text(request.text());
  entry.set_send_at_unix_ms(request.send_at_unix_ms());
  Save(entry);
  ReleaseWhatIsDue();  // A time already past sends at once.
  control::SendReply reply;
  reply.set_id(entry.id());
  return reply;
}

void Disclosure::SendEnvelope(HistoryEntry& entry, const HistoryEntry* question,
                              PreparedFile* file) {
  auto* envelope = entry.mutable_envelope();
  envelope->set_envelope_id(crypto::NewEnvelopeId());
  envelope->set_state(EnvelopeRecord::WITHHELD);
  entry.set_direction(HistoryEntry::OUTGOING);
  entry.set_state(HistoryEntry::PENDING);
  entry.set_sent_at_unix_ms(clock_.NowUnixMs());
  Save(entry);
  Index(kEnvelopePrefix, envelope->envelope_id(), entry.id());

  crypto::SealedBody sealed = crypto::SealBody(envelope->envelope_id(), entry.text());
  PutKey(envelope->envelope_id(), sealed.key);
  peer::Deliver item;
  item.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  auto* offer = item.mutable_offer();
  offer->set_envelope_id(envelope->envelope_id());
  offer->set_kind(static_cast<peer::EnvelopeOffer::Kind>(envelope->kind()));
  offer->set_note(envelope->note());
  offer->set_open_at_unix_ms(envelope->open_at_unix_ms());
  offer->set_ciphertext(std::move(sealed.ciphertext));
  offer->set_commitment(std::move(sealed.commitment));
  offer->set_question_id(envelope->question_id());
  if (question != nullptr) {
    offer->set_question(question->text());
    offer->set_question_date(question->question().date());
  }
  if (file != nullptr) {
    files_.AttachToEnvelope(entry, std::move(*file), sealed.key.span(), *offer->mutable_file());
  }
  // The offer's seq is how both sides name this envelope (reactions, pins).
  entry.set_seq(conversation_.EnqueueItem(std::move(item), entry.id()));
  Save(entry);
}

Result<control::AskReply> Disclosure::Ask(const control::AskRequest& request) {
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

Result<HistoryEntry> Disclosure::DailyQuestion(int64_t day) {
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

Result<control::AnswerReply> Disclosure::Answer(const control::AnswerRequest& request) {
  auto file = PrepareBody(request.text(), request.file_path(), "the answer");
  if (!file.ok()) return file.status();
  Result<HistoryEntry> question = NotFound("");
  if (request.today()) {
    question = DailyQuestion(UtcDay(clock_.NowUnixMs()));
  } else {
    question = Lookup(request.question_id());
    if (question.ok() && !question->has_question()) {
      return InvalidArgument("message " + Describe(request.question_id()) + " is not a question");
    }
  }
  if (!question.ok()) return question.status();
  if (question->question().my_answer_id() != 0) {
    return AlreadyExists("you have already answered this question (message " +
                         Describe(question->question().my_answer_id()) +
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

Result<control::TodayReply> Disclosure::Today(const control::TodayRequest& request) const {
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

Result<control::OpenReply> Disclosure::Open(const control::OpenRequest& request) {
  auto entry = Lookup(request.id());
  if (!entry.ok()) return entry.status();
  std::string what = "message " + Describe(request.id());
  if (!entry->has_envelope() || IsOutgoing(*entry)) {
    return FailedPrecondition(what + " is not an envelope from your partner");
  }
  const EnvelopeRecord& envelope = entry->envelope();
  switch (envelope.state()) {
    case EnvelopeRecord::OPENED:
      return FailedPrecondition(what + " is already open");
    case EnvelopeRecord::WITHDRAWN:
      return FailedPrecondition(what + " was withdrawn by your partner");
    case EnvelopeRecord::MISMATCH:
      return FailedPrecondition(what + " did not match what your partner committed to");
    default:
      break;
  }
  switch (envelope.kind()) {
    case EnvelopeRecord::GENTLE:
      break;
    case EnvelopeRecord::SEALED:
      return FailedPrecondition(what + " is sealed: it opens on its own at the time it shows");
    case EnvelopeRecord::ANSWER:
      return FailedPrecondition(what + " is an answer: it opens once you have answered too");
    case EnvelopeRecord::TOGETHER:
      return FailedPrecondition(what + " opens while you are both present (inmost chat)");
    default:
      return FailedPrecondition(what + " cannot be opened by asking");
  }
  if (!envelope.open_requested()) {
    entry->mutable_envelope()->set_open_requested(true);
    peer::Deliver item;
    item.mutable_open_request()->set_envelope_id(envelope.envelope_id());
    conversation_.EnqueueItem(std::move(item), 0);
    Save(*entry);
    PublishChanged(*entry);
  }
  return control::OpenReply();
}

Result<control::RetractReply> Disclosure::Retract(const control::RetractRequest& request) {
  auto entry = Lookup(request.id());
  if (!entry.ok()) return entry.status();
  std::string what = "message " + Describe(request.id());
  if (!IsOutgoing(*entry)) return FailedPrecondition(what + " is your partner's, not yours");
  control::RetractReply reply;
  if (entry->state() == HistoryEntry::SCHEDULED) {
    entry->set_state(HistoryEntry::CANCELLED);
    Save(*entry);
    PublishChanged(*entry);
    *reply.mutable_message() = MessageView(*entry, partner_present_);
    return reply;
  }
  if (entry->state() == HistoryEntry::CANCELLED)
    return FailedPrecondition(what + " is already cancelled");
  if (request.scheduled_only()) {
    return FailedPrecondition(what + " is not a scheduled message waiting to leave" +
                              (entry->has_envelope() ? "; withdraw an envelope with: inmost retract"
                                                     : ": it has already been sent"));
  }
  if (!entry->has_envelope()) {
    return FailedPrecondition(what +
                              " is not an envelope or a scheduled message; it has already "
                              "been sent as it is");
  }
  switch (entry->envelope().state()) {
    case EnvelopeRecord::WITHHELD:
      break;
    case EnvelopeRecord::WITHDRAWN:
      return FailedPrecondition(what + " is already withdrawn");
    default:
      return FailedPrecondition(what +
                                " has already been opened (its key was released), so it "
                                "can no longer be withdrawn");
  }
  const std::string& envelope_id = entry->envelope().envelope_id();
  DestroyKey(envelope_id);
  files_.Discard(*entry);
  peer::Deliver item;
  item.mutable_retract()->set_envelope_id(envelope_id);
  conversation_.EnqueueItem(std::move(item), 0);
  entry->mutable_envelope()->set_state(EnvelopeRecord::WITHDRAWN);
  Save(*entry);
  PublishChanged(*entry);
  if (entry->envelope().kind() == EnvelopeRecord::ANSWER) {
    auto question = Lookup(entry->envelope().question_entry_id());
    if (question.ok()) {
      question->mutable_question()->set_my_answer_id(0);
      Save(*question);
      PublishChanged(*question);
    }
  }
  *reply.mutable_message() = MessageView(*entry, partner_present_);
  return reply;
}

control::EnvelopesReply Disclosure::Envelopes() const {
  control::EnvelopesReply reply;
  for (const auto& [id, pending] : pending_) {
    auto entry = Lookup(id);
    if (entry.ok()) *reply.add_messages() = MessageView(*entry, partner_present_);
  }
  return reply;
}

// ---- the partner's items ------------------------------------------------------------

void Disclosure::OnItem(const peer::Deliver& item) {
  switch (item.item_case()) {
    case peer::Deliver::kOffer:
      OnOffer(item);
      break;
    case peer::Deliver::kKeyRelease:
      OnKeyRelease(item.key_release());
      break;
    case peer::Deliver::kRetract:
      OnRetract(item.retract());
      break;
    case peer::Deliver::kOpenRequest:
      OnOpenRequest(item.open_request());
      break;
    case peer::Deliver::kOpened:
      OnOpened(item.opened());
      break;
    case peer::Deliver::kQuestion:
      OnQuestion(item);
      break;
    default:
      break;  // From a newer partner: stored as seen, otherwise ignored.
  }
}

void Disclosure::OnOffer(const peer::Deliver& item) {
  const peer::EnvelopeOffer& offer = item.offer();
  EnvelopeRecord::Kind kind = RecordKind(offer.kind());
  if (offer.envelope_id().size() != crypto::kEnvelopeIdSize ||
      kind == EnvelopeRecord::KIND_UNSPECIFIED ||
      (kind == EnvelopeRecord::ANSWER && offer.question_id().size() != crypto::kEnvelopeIdSize)) {
    log_.Warning("ignoring a malformed envelope from the partner");
    return;
  }
  if (Find(kEnvelopePrefix, offer.envelope_id()).ok()) return;  // Seen before.

  HistoryEntry entry = Received(item);
  auto* envelope = entry.mutable_envelope();
  envelope->set_envelope_id(offer.envelope_id());
  envelope->set_kind(kind);
  envelope->set_state(EnvelopeRecord::WITHHELD);
  envelope->set_note(TruncateUtf8(offer.note(), kMaxNoteBytes));
  envelope->set_open_at_unix_ms(offer.open_at_unix_ms());
  envelope->set_ciphertext(offer.ciphertext());
  envelope->set_commitment(offer.commitment());
  envelope->set_question_id(offer.question_id());

  std::optional<HistoryEntry> question;
  if (kind == EnvelopeRecord::ANSWER) {
    auto found = Find(kQuestionPrefix, offer.question_id());
    if (found.ok()) {
      question = std::move(*found);
    } else {
      // A question we have not seen (the partner's question of the day).
      question = Received(item);
      question->clear_seq();  // The offer's seq belongs to the answer.
      question->set_text(offer.question().empty() ? "(a question)" : offer.question());
      question->mutable_question()->set_question_id(offer.question_id());
      if (ParseUtcDate(offer.question_date()).ok()) {
        question->mutable_question()->set_date(offer.question_date());
      }
      Save(*question);
      Index(kQuestionPrefix, offer.question_id(), question->id());
      PublishReceived(*question);
    }
    envelope->set_question_entry_id(question->id());
  }
  Save(entry);
  Index(kEnvelopePrefix, offer.envelope_id(), entry.id());
  if (offer.has_file()) {
    files_.AcceptEnvelopeFile(entry, offer.file());
    Save(entry);
  }
  PublishReceived(entry);

  if (question) {
    question->mutable_question()->set_their_answer_id(entry.id());
    Save(*question);
    PublishChanged(*question);
    if (question->question().my_answer_id() != 0) {
      auto mine = Lookup(question->question().my_answer_id());
      if (mine.ok()) Release(*mine);
    }
  }
}

void Disclosure::OnKeyRelease(const peer::KeyRelease& release) {
  auto entry = Find(kEnvelopePrefix, release.envelope_id());
  if (!entry.ok() || IsOutgoing(*entry) || entry->envelope().state() != EnvelopeRecord::WITHHELD) {
    log_.Debug("ignoring a key for an envelope that is not waiting for one");
    return;
  }
  auto* envelope = entry->mutable_envelope();
  if (envelope->kind() == EnvelopeRecord::ANSWER && !HasStandingAnswer(*envelope)) {
    // Ours was withdrawn while theirs was released: theirs stays sealed, and their
    // daemon sends the key again once we answer anew.
    log_.Info("holding back the partner's answer " + Describe(entry->id()) +
              " until you answer too");
    return;
  }
  auto body = crypto::OpenBody(envelope->envelope_id(), crypto::AsBytes(release.key()),
                               envelope->ciphertext(), envelope->commitment());
  bool mismatch = !body.ok();
  if (mismatch) {
    log_.Warning("envelope " + Describe(entry->id()) +
                 " does not match what the partner "
                 "committed to: " +
                 body.status().message());
    envelope->set_state(EnvelopeRecord::MISMATCH);
  } else {
    entry->set_text(std::move(*body));
    envelope->set_state(EnvelopeRecord::OPENED);
    if (entry->has_file()) files_.OpenEnvelopeFile(*entry, crypto::AsBytes(release.key()));
  }
  envelope->set_opened_at_unix_ms(clock_.NowUnixMs());
  envelope->clear_ciphertext();
  envelope->clear_commitment();
  Save(*entry);
  PublishChanged(*entry);
  peer::Deliver item;
  item.mutable_opened()->set_envelope_id(envelope->envelope_id());
  item.mutable_opened()->set_mismatch(mismatch);
  conversation_.EnqueueItem(std::move(item), 0);
}

HistoryEntry Disclosure::Received(const peer::Deliver& item) const {
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::INCOMING);
  entry.set_state(HistoryEntry::DELIVERED);
  entry.set_seq(item.seq());
  entry.set_sent_at_unix_ms(item.sent_at_unix_ms());
  entry.set_received_at_unix_ms(clock_.NowUnixMs());
  return entry;
}

bool Disclosure::HasStandingAnswer(const EnvelopeRecord& their_answer) const {
  auto question = Lookup(their_answer.question_entry_id());
  return question.ok() && question->question().my_answer_id() != 0;
}

void Disclosure::OnRetract(const peer::Retract& retract) {
  auto entry = Find(kEnvelopePrefix, retract.envelope_id());
  if (!entry.ok() || IsOutgoing(*entry) || entry->envelope().state() != EnvelopeRecord::WITHHELD) {
    log_.Debug("ignoring a retraction of an envelope that is not sealed here");
    return;
  }
  auto* envelope = entry->mutable_envelope();
  envelope->set_state(EnvelopeRecord::WITHDRAWN);
  files_.Discard(*entry);
  envelope->clear_ciphertext();
  envelope->clear_commitment();
  Save(*entry);
  PublishChanged(*entry);
  if (envelope->kind() == EnvelopeRecord::ANSWER) {
    auto question = Lookup(envelope->question_entry_id());
    if (question.ok() && question->question().their_answer_id() == entry->id()) {
      question->mutable_question()->set_their_answer_id(0);
      Save(*question);
      PublishChanged(*question);
    }
  }
}

void Disclosure::OnOpenRequest(const peer::OpenRequest& request) {
  auto entry = Find(kEnvelopePrefix, request.envelope_id());
  if (!entry.ok() && entry.status().code() == Code::kNotFound &&
      request.envelope_id().size() == crypto::kEnvelopeIdSize) {
    // No such envelope here (any more): say so, so the partner stops waiting.
    log_.Info("the partner asked for a key that does not exist here; answering withdrawn");
    peer::Deliver item;
    item.mutable_retract()->set_envelope_id(request.envelope_id());
    conversation_.EnqueueItem(std::move(item), 0);
    return;
  }
  if (!entry.ok() || !IsOutgoing(*entry)) return;
  ReleaseContext context;
  context.now_unix_ms = clock_.NowUnixMs();
  context.open_requested = true;
  if (ReleaseDue(entry->envelope(), context)) Release(*entry);
}

void Disclosure::OnOpened(const peer::Opened& opened) {
  auto entry = Find(kEnvelopePrefix, opened.envelope_id());
  if (!entry.ok() || !IsOutgoing(*entry) || entry->envelope().state() != EnvelopeRecord::RELEASED) {
    return;
  }
  if (opened.mismatch()) {
    log_.Warning("the partner reports that envelope " + Describe(entry->id()) +
                 " did not match its commitment");
  }
  if (entry->envelope().kind() == EnvelopeRecord::ANSWER) ForgetKey(opened.envelope_id());
  entry->mutable_envelope()->set_state(opened.mismatch() ? EnvelopeRecord::MISMATCH
                                                         : EnvelopeRecord::OPENED);
  entry->mutable_envelope()->set_opened_at_unix_ms(clock_.NowUnixMs());
  Save(*entry);
  PublishChanged(*entry);
}

void Disclosure::OnQuestion(const peer::Deliver& item) {
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

// ---- release --------------------------------------------------------------------------

void Disclosure::Release(HistoryEntry& entry) {
  const bool answer = entry.envelope().kind() == EnvelopeRecord::ANSWER;
  const bool again = answer && entry.envelope().state() == EnvelopeRecord::RELEASED;
  if (entry.envelope().state() != EnvelopeRecord::WITHHELD && !again) return;
  const std::string& envelope_id = entry.envelope().envelope_id();
  Result<crypto::SecretBytes> key = NotFound("no key");
  if (auto unwritten = unwritten_keys_.find(envelope_id); unwritten != unwritten_keys_.end()) {
    key = crypto::SecretBytes::CopyOf(unwritten->second.span());
  } else {
    key = store_.GetSecret(KeyFor(kContentKeyPrefix, envelope_id));
  }
  if (!key.ok()) {
    log_.Error("cannot release envelope " + Describe(entry.id()) +
               ": its key is unreadable: " + key.status().ToString());
    return;
  }
  peer::Deliver item;
  item.mutable_key_release()->set_envelope_id(envelope_id);
  item.mutable_key_release()->set_key(crypto::ToString(key->span()));
  conversation_.EnqueueItem(std::move(item), 0);
  if (again) return;
  // An answer's key stays until the partner has opened it: a partner who withdrew
  // their own answer as ours was released does not open ours, and gets the key
  // again when they answer anew. Other keys live only in the outbox from here; no
  // longer a secret from the partner, their old copies need no compaction.
  if (!answer) ForgetKey(envelope_id);
  entry.mutable_envelope()->set_state(EnvelopeRecord::RELEASED);
  Save(entry);
  PublishChanged(entry);
  log_.Info("released the key of envelope " + Describe(entry.id()));
}

void Disclosure::ReleaseWhatIsDue() {
  if (stopped_) return;
  if (!conversation_.Ready().ok()) {
    ArmTimer(kStoreRetryWait);  // The store is failing: try again later.
    return;
  }
  ReleaseContext context;
  context.now_unix_ms = clock_.NowUnixMs();
  context.both_present = present_ && partner_present_ && channel_.IsUp();
  std::vector<uint64_t> due;
  for (const auto& [id, entry] : pending_) {
    if (!IsOutgoing(entry)) continue;
    if (entry.state() == HistoryEntry::SCHEDULED) {
      if (context.now_unix_ms >= entry.send_at_unix_ms()) due.push_back(id);
      continue;
    }
    if (!entry.has_envelope()) continue;
    ReleaseContext for_entry = context;
    if (entry.envelope().kind() == EnvelopeRecord::ANSWER) {
      auto question = Lookup(entry.envelope().question_entry_id());
      for_entry.partner_answered = question.ok() && question->question().their_answer_id() != 0;
    }
    if (ReleaseDue(entry.envelope(), for_entry)) due.push_back(id);
  }
  for (uint64_t id : due) {
    auto entry = Lookup(id);
    if (!entry.ok()) {
      log_.Error("pending message " + Describe(id) +
                 " is unreadable: " + entry.status().ToString());
      continue;
    }
    if (entry->state() == HistoryEntry::SCHEDULED) {
      entry->set_sent_at_unix_ms(context.now_unix_ms);
      conversation_.EnqueueText(*entry);  // Now PENDING, with a seq: it leaves.
      Save(*entry);
      PublishChanged(*entry);
    } else {
      Release(*entry);
    }
  }
  if (!due.empty()) commit_.AfterSync([](const Status&) {});
  ArmTimer();
}

void Disclosure::ArmTimer(std::chrono::milliseconds at_least) {
  if (stopped_) return;
  std::optional<int64_t> next;
  for (const auto& [id, entry] : pending_) {
    if (!IsOutgoing(entry)) continue;
    std::optional<int64_t> at = entry.state() == HistoryEntry::SCHEDULED
                                    ? std::optional<int64_t>(entry.send_at_unix_ms())
                                    : ReleaseTime(entry.envelope());
    if (at && (!next || *at < *next)) next = at;
  }
  if (!next) {
    timer_.cancel();
    return;
  }
  auto wait = std::max(at_least,
                       std::chrono::milliseconds(std::max<int64_t>(0, *next - clock_.NowUnixMs())));
  timer_.expires_after(std::min<std::chrono::milliseconds>(wait, kMaxTimerWait));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) ReleaseWhatIsDue();
  });
}

// ---- presence ---------------------------------------------------------------------------

void Disclosure::OnLinkUp() {
  ReleaseWhatIsDue();
}

void Disclosure::OnLinkDown() {
  OnPartnerPresence(false);
}

void Disclosure::SetPresent(bool present) {
  if (present == present_) return;
  present_ = present;
  ReleaseWhatIsDue();
}

void Disclosure::OnPartnerPresence(bool present) {
  if (present == partner_present_) return;
  partner_present_ = present;
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  event.mutable_partner_presence()->set_present(present);
  events_.Publish(event);
  ReleaseWhatIsDue();
}

void Disclosure::StartWithNewPartner() {
  std::vector<HistoryEntry> entries;
  for (const auto& [id, pending] : pending_) {
    auto entry = Lookup(id);
    if (entry.ok()) entries.push_back(std::move(*entry));
  }
  for (auto& entry : entries) {
    if (entry.state() == HistoryEntry::SCHEDULED) {
      entry.set_state(HistoryEntry::CANCELLED);
    } else if (entry.has_envelope()) {
      if (IsOutgoing(entry)) DestroyKey(entry.envelope().envelope_id());
      entry.mutable_envelope()->set_state(EnvelopeRecord::WITHDRAWN);
      entry.mutable_envelope()->clear_ciphertext();
      entry.mutable_envelope()->clear_commitment();
    }
    Save(entry);
    // A question for the former partner stays in the history, no longer pending.
    if (pending_.erase(entry.id()) > 0) commit_.batch().Delete(PendingKey(entry.id()));
  }
  partner_present_ = false;
}

// ---- storage -----------------------------------------------------------------------------

void Disclosure::Save(HistoryEntry& entry) {
  if (entry.id() == 0) {
    conversation_.AppendEntry(entry);
  } else {
    conversation_.PutEntry(entry);
  }
  bool was_pending = pending_.count(entry.id()) > 0;
  if (IsPending(entry)) {
    if (!was_pending) commit_.batch().Put(PendingKey(entry.id()), crypto::AsBytes("1"));
    pending_[entry.id()] = entry;
  } else if (was_pending) {
    commit_.batch().Delete(PendingKey(entry.id()));
    pending_.erase(entry.id());
  }
}

void Disclosure::PublishChanged(const HistoryEntry& entry) {
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  *event.mutable_changed()->mutable_message() = MessageView(entry, partner_present_);
  conversation_.PublishWhenWritten(std::move(event));
}

void Disclosure::PublishReceived(const HistoryEntry& entry) {
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  *event.mutable_message_received()->mutable_message() = MessageView(entry, partner_present_);
  conversation_.PublishWhenWritten(std::move(event));
}

Result<HistoryEntry> Disclosure::Lookup(uint64_t id) const {
  // Not the pending copy: the conversation may have changed the entry since
  // (delivered, read), and it knows the latest write.
  return conversation_.Entry(id);
}

Result<HistoryEntry> Disclosure::Find(std::string_view prefix, const std::string& id) const {
  // Pending entries first: the index of one created in the batch being filled is
  // not on disk yet.
  for (const auto& [history_id, entry] : pending_) {
    if ((prefix == kEnvelopePrefix && entry.has_envelope() &&
         entry.envelope().envelope_id() == id) ||
        (prefix == kQuestionPrefix && entry.has_question() &&
         entry.question().question_id() == id)) {
      return Lookup(history_id);
    }
  }
  auto value = store_.Get(KeyFor(prefix, id));
  if (!value.ok()) return value.status();
  records::EntryIndex index;
  if (!index.ParseFromString(*value)) return Corruption("an envelope index does not parse");
  return conversation_.Entry(index.history_id());
}

void Disclosure::Index(std::string_view prefix, const std::string& id, uint64_t history_id) {
  records::EntryIndex index;
  index.set_history_id(history_id);
  commit_.batch().Put(KeyFor(prefix, id), crypto::AsBytes(index.SerializeAsString()));
}

void Disclosure::PutKey(const std::string& envelope_id, const crypto::SecretBytes& key) {
  commit_.batch().PutSecret(KeyFor(kContentKeyPrefix, envelope_id), key);
  unwritten_keys_.insert_or_assign(envelope_id, crypto::SecretBytes::CopyOf(key.span()));
  commit_.AfterWrite([this, envelope_id](const Status&) { unwritten_keys_.erase(envelope_id); });
}

void Disclosure::ForgetKey(const std::string& envelope_id) {
  unwritten_keys_.erase(envelope_id);
  commit_.batch().Delete(KeyFor(kContentKeyPrefix, envelope_id));
}

void Disclosure::DestroyKey(const std::string& envelope_id) {
  ForgetKey(envelope_id);
  // A deleted value stays in LevelDB's files until compaction: compact the keys'
  // range once the delete is on disk, so the key is really gone.
  commit_.AfterSync([this](const Status& status) {
    if (!status.ok()) return;
    Status compacted =
        store_.CompactRange(kContentKeyPrefix, *store::PrefixSuccessor(kContentKeyPrefix));
    if (!compacted.ok()) log_.Warning("could not compact destroyed keys: " + compacted.ToString());
  });
}

}  // namespace inmost::core
