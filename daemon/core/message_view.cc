#include "daemon/core/message_view.h"

#include <algorithm>
#include <cstdint>

namespace inmost::core {
namespace {

using records::EnvelopeRecord;

control::Message::Question::State QuestionState(const records::QuestionRecord& q) {
  if (q.my_answer_id() != 0 && q.their_answer_id() != 0)
    return control::Message::Question::REVEALED;
  if (q.my_answer_id() != 0) return control::Message::Question::WAITING_FOR_THEM;
  if (q.their_answer_id() != 0) return control::Message::Question::WAITING_FOR_YOU;
  return control::Message::Question::UNANSWERED;
}

// A received file still sealed: its envelope has not opened here (or never will).
bool SealedHere(const records::HistoryEntry& entry) {
  return entry.direction() == records::HistoryEntry::INCOMING && entry.has_envelope() &&
         entry.envelope().state() != EnvelopeRecord::OPENED;
}

// `done` of `size`, as the same share of `shown` (128 bits hold the product).
uint64_t ShareOf(uint64_t done, uint64_t size, uint64_t shown) {
  if (size == 0) return 0;
  return static_cast<uint64_t>(static_cast<unsigned __int128>(done) * shown / size);
}

}  // namespace

uint64_t SealedFileSize(uint64_t size) {
  // A power of two tells the order of magnitude and no more; the floor keeps every
  // small file (a short voice note, a note in a .txt) the same size.
  uint64_t rounded = kSealedFileSizeFloor;
  while (rounded < size && rounded <= (UINT64_MAX >> 1)) rounded <<= 1;
  return rounded < size ? size : rounded;
}

control::Message MessageView(const records::HistoryEntry& entry, bool partner_present) {
  control::Message m;
  m.set_id(entry.id());
  m.set_direction(static_cast<control::Message::Direction>(entry.direction()));
  m.set_state(static_cast<control::Message::State>(entry.state()));
  m.set_text(entry.text());
  m.set_sent_at_unix_ms(entry.sent_at_unix_ms());
  m.set_received_at_unix_ms(entry.received_at_unix_ms());
  m.set_send_at_unix_ms(entry.send_at_unix_ms());
  m.set_my_reaction(entry.my_reaction());
  m.set_their_reaction(entry.their_reaction());
  m.set_pinned(entry.pinned());
  m.set_urgent(entry.urgent());
  m.set_forget(static_cast<control::Message::Forget>(entry.forget()));
  m.set_recovered(entry.recovered());
  m.set_written_at_unix_ms(entry.written_at_unix_ms());
  m.set_reply_to(entry.reply_to_id());  // Its quoted line is the API's (api_quotes.h).
  if (entry.reply_to_missing()) m.set_quoted(std::string(kQuoteGone));
  m.set_edited(entry.versions_size() > 0);
  m.set_edited_at_unix_ms(entry.versions_size() > 0 ? entry.edited_at_unix_ms() : 0);
  if (entry.has_view_once()) {
    m.set_view_once(entry.view_once().viewed() ? control::Message::VIEWED
                                               : control::Message::NOT_VIEWED);
  }
  m.set_disappear_after_ms(entry.disappear_after_ms());
  m.set_disappears_at_unix_ms(entry.disappears_at_unix_ms());
  if (!entry.notice().empty()) {
    m.set_kind(control::Message::NOTICE);
    m.set_text(entry.notice());
    return m;
  }
  if (entry.has_file()) {
    const records::FileRecord& f = entry.file();
    m.set_kind(control::Message::FILE);  // An envelope below says ENVELOPE instead.
    auto* view = m.mutable_file();
    view->set_name(f.name());
    view->set_type(f.type());
    uint64_t done = std::min<uint64_t>(f.size(), f.chunks_done() * f.chunk_size());
    if (SealedHere(entry)) {
      // Until it opens, a sealed file shows only its size rounded up, and its progress
      // as the same share of that.
      uint64_t shown = SealedFileSize(f.size());
      view->set_size(shown);
      view->set_bytes_done(ShareOf(done, f.size(), shown));
    } else {
      view->set_size(f.size());
      view->set_bytes_done(done);
    }
    view->set_state(static_cast<control::Attachment::State>(f.state()));
    view->set_error(f.error());
  }
  if (entry.moment()) {
    m.set_kind(control::Message::MOMENT);
  } else if (entry.has_nudge()) {
    m.set_kind(control::Message::NUDGE);
    m.mutable_nudge()->set_kind(static_cast<control::Nudge::Kind>(entry.nudge().kind()));
    m.mutable_nudge()->set_count(entry.nudge().count());
    m.mutable_nudge()->set_over_budget(entry.nudge().over_budget());
  } else if (entry.has_envelope()) {
    const EnvelopeRecord& e = entry.envelope();
    m.set_kind(control::Message::ENVELOPE);
    auto* view = m.mutable_envelope();
    view->set_kind(static_cast<control::Message::Envelope::Kind>(e.kind()));
    view->set_state(static_cast<control::Message::Envelope::State>(e.state()));
    view->set_note(e.note());
    view->set_open_at_unix_ms(e.open_at_unix_ms());
    view->set_question_id(e.question_entry_id());
    view->set_open_requested(e.open_requested());
    view->set_opened_at_unix_ms(e.opened_at_unix_ms());
    if (e.kind() == EnvelopeRecord::TOGETHER) view->set_partner_present(partner_present);
  } else if (entry.has_question()) {
    m.set_kind(control::Message::QUESTION);
    auto* view = m.mutable_question();
    view->set_state(QuestionState(entry.question()));
    view->set_my_answer_id(entry.question().my_answer_id());
    view->set_their_answer_id(entry.question().their_answer_id());
    view->set_of_the_day(!entry.question().date().empty());
    view->set_date(entry.question().date());
  }
  return m;
}

bool ForgottenHere(records::HistoryEntry::ForgetState forget) {
  using F = records::HistoryEntry;
  return forget != F::FORGET_NONE && forget != F::PARTNER_ASKS && forget != F::KEPT;
}

bool HasContent(const records::HistoryEntry& entry) {
  return !ForgottenHere(entry.forget());
}

std::string QuotedLine(const records::HistoryEntry& entry) {
  if (!HasContent(entry)) return std::string(kQuoteGone);
  if (entry.has_view_once()) return std::string(kQuoteViewOnce);
  if (entry.has_envelope() && entry.envelope().state() != EnvelopeRecord::OPENED)
    return std::string(kQuoteSealed);
  if (entry.has_nudge() || entry.moment()) return "a nudge";
  std::string_view text = entry.text();
  if (text.empty() && entry.has_file())
    return "a file" + (entry.file().name().empty() ? "" : ": " + entry.file().name());
  if (text.empty()) return std::string(kQuoteGone);
  text = text.substr(0, text.find('\n'));
  if (text.size() <= kMaxQuoteBytes) return std::string(text);
  size_t cut = kMaxQuoteBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

bool IsPending(const records::HistoryEntry& entry) {
  if (entry.state() == records::HistoryEntry::SCHEDULED) return true;
  if (entry.has_envelope()) {
    auto state = entry.envelope().state();
    return state == EnvelopeRecord::WITHHELD || state == EnvelopeRecord::RELEASED;
  }
  if (entry.has_question()) {
    return entry.question().my_answer_id() == 0 || entry.question().their_answer_id() == 0;
  }
  return false;
}

}  // namespace inmost::core
