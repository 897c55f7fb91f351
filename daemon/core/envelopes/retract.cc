// Withdrawing an envelope (envelopes.h): ours, while its key is still withheld
// (the key is destroyed for ever, and the partner told), or a scheduled message
// before it leaves; and the partner's withdrawal of theirs. A released key can
// never be taken back, so nothing opened is ever withdrawn here.
#include "daemon/core/envelopes/envelope_records.h"
#include "daemon/core/envelopes/envelopes.h"
#include "daemon/core/message_view.h"

namespace inmost::core {
namespace {

using records::EnvelopeRecord;
using records::HistoryEntry;

}  // namespace

Result<control::RetractReply> Envelopes::Retract(const control::RetractRequest& request) {
  auto entry = Lookup(request.id());
  if (!entry.ok()) return entry.status();
  std::string what = "message " + conversation_.Describe(request.id());
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

void Envelopes::OnRetract(const peer::Retract& retract) {
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

}  // namespace inmost::core
