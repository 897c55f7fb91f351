// Envelopes (envelopes.h) sealed, offered and opened: a new envelope is sealed
// under a fresh content key that stays here; the partner's offer is stored
// unreadable until its key arrives, and checked against its commitment then.
// Nothing here sends a key: release.cc does, once the release condition holds.
#include <sodium.h>

#include <optional>

#include "daemon/core/envelopes/envelope_records.h"
#include "daemon/core/envelopes/envelopes.h"
#include "daemon/core/envelopes/release_condition.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/envelope_seal.h"

namespace inmost::core {
namespace {

using records::EnvelopeRecord;
using records::HistoryEntry;

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

// At most `max` bytes of `text`, cut at a character boundary (stored strings must
// stay valid UTF-8, or the record would not parse again).
std::string TruncateUtf8(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

Result<control::SendReply> Envelopes::Send(const control::SendRequest& request) {
  int kinds = (request.open_at_unix_ms() != 0 ? 1 : 0) + (request.gentle() ? 1 : 0) +
              (request.together() ? 1 : 0) + (request.send_at_unix_ms() != 0 ? 1 : 0);
  if (kinds != 1) {
    return InvalidArgument("choose one of: open at a time, gentle, together, or send at a time");
  }
  if (request.send_at_unix_ms() != 0) {
    if (!request.file_path().empty() || !request.upload_id().empty())
      return InvalidArgument("a scheduled message cannot carry a file");
    INMOST_RETURN_IF_ERROR(ValidateText(request.text(), "the message"));
    return Schedule(request);
  }
  if (!request.note().empty()) {
    INMOST_RETURN_IF_ERROR(ValidateText(request.note(), "the note", kMaxNoteBytes));
  }
  auto file = PrepareBody(request.text(), request.file_path(), request.upload_id(), "the message");
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

Result<std::optional<PreparedFile>> Envelopes::PrepareBody(const std::string& text,
                                                           const std::string& file_path,
                                                           const std::string& upload_id,
                                                           std::string_view what) const {
  if (file_path.empty() && upload_id.empty()) {
    INMOST_RETURN_IF_ERROR(ValidateText(text, what));
    return std::optional<PreparedFile>();
  }
  if (!text.empty()) INMOST_RETURN_IF_ERROR(ValidateText(text, "the caption"));
  auto file = files_.Prepare(file_path, upload_id);
  if (!file.ok()) return file.status();
  return std::optional<PreparedFile>(std::move(*file));
}

void Envelopes::SendEnvelope(HistoryEntry& entry, const HistoryEntry* question,
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

Result<control::OpenReply> Envelopes::Open(const control::OpenRequest& request) {
  auto entry = Lookup(request.id());
  if (!entry.ok()) return entry.status();
  std::string what = "message " + conversation_.Describe(request.id());
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

// ---- the partner's items ------------------------------------------------------------

namespace {

bool SameId(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

void Envelopes::OnOffer(const peer::Deliver& item) {
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
      // A question we have not seen can only be a question of the day, whose id both
      // daemons derive from its date: an answer to anything else was never asked.
      auto day = ParseUtcDate(offer.question_date());
      if (!daily_ || !day.ok() || !SameId(daily_->QuestionId(*day), offer.question_id())) {
        log_.Warning("refused the partner's answer to a question that was never asked");
        return;
      }
      question = Received(item);
      question->clear_seq();  // The offer's seq belongs to the answer.
      question->set_text(daily_->Question(*day));
      question->mutable_question()->set_question_id(offer.question_id());
      question->mutable_question()->set_date(offer.question_date());
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

void Envelopes::OnKeyRelease(const peer::KeyRelease& release) {
  auto entry = Find(kEnvelopePrefix, release.envelope_id());
  if (!entry.ok() || IsOutgoing(*entry) || entry->envelope().state() != EnvelopeRecord::WITHHELD) {
    log_.Debug("ignoring a key for an envelope that is not waiting for one");
    return;
  }
  auto* envelope = entry->mutable_envelope();
  if (envelope->kind() == EnvelopeRecord::ANSWER && !HasStandingAnswer(*envelope)) {
    // Ours was withdrawn while theirs was released: theirs stays sealed, and their
    // daemon sends the key again once we answer anew.
    log_.Info("holding back the partner's answer " + conversation_.Describe(entry->id()) +
              " until you answer too");
    return;
  }
  auto body = crypto::OpenBody(envelope->envelope_id(), crypto::AsBytes(release.key()),
                               envelope->ciphertext(), envelope->commitment());
  bool mismatch = !body.ok();
  if (mismatch) {
    log_.Warning("envelope " + conversation_.Describe(entry->id()) +
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

HistoryEntry Envelopes::Received(const peer::Deliver& item) const {
  HistoryEntry entry;
  entry.set_direction(HistoryEntry::INCOMING);
  entry.set_state(HistoryEntry::DELIVERED);
  entry.set_seq(item.seq());
  entry.set_sent_at_unix_ms(item.sent_at_unix_ms());
  entry.set_received_at_unix_ms(clock_.NowUnixMs());
  return entry;
}

void Envelopes::OnOpenRequest(const peer::OpenRequest& request) {
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

void Envelopes::OnOpened(const peer::Opened& opened) {
  auto entry = Find(kEnvelopePrefix, opened.envelope_id());
  if (!entry.ok() || !IsOutgoing(*entry) || entry->envelope().state() != EnvelopeRecord::RELEASED) {
    return;
  }
  if (opened.mismatch()) {
    log_.Warning("the partner reports that envelope " + conversation_.Describe(entry->id()) +
                 " did not match its commitment");
  }
  if (entry->envelope().kind() == EnvelopeRecord::ANSWER) ForgetKey(opened.envelope_id());
  entry->mutable_envelope()->set_state(opened.mismatch() ? EnvelopeRecord::MISMATCH
                                                         : EnvelopeRecord::OPENED);
  entry->mutable_envelope()->set_opened_at_unix_ms(clock_.NowUnixMs());
  Save(*entry);
  PublishChanged(*entry);
}

}  // namespace inmost::core
