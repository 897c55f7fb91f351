// When a disappearing message starts to disappear (conversation.h): the moment it
// is first written opened, on each side by its own view of "opened". Only the time
// and the entry's id go into the index key, never content.
#include "daemon/core/conversation.h"
#include "daemon/core/history_keys.h"
#include "daemon/crypto/bytes.h"

namespace inmost::core {
namespace {

// Whether `entry` counts as opened. The recipient's copy: read (an envelope: its
// body open here). The sender's: read by the partner (an envelope: opened there), or
// delivered when the partner sends no read receipts, so it never outlives theirs.
bool Opened(const records::HistoryEntry& entry, bool partner_sends_receipts) {
  if (entry.has_envelope()) return entry.envelope().state() == records::EnvelopeRecord::OPENED;
  if (entry.state() == records::HistoryEntry::READ) return true;
  return entry.direction() == records::HistoryEntry::OUTGOING &&
         entry.state() == records::HistoryEntry::DELIVERED && !partner_sends_receipts;
}

}  // namespace

void Conversation::StartDisappearing(records::HistoryEntry& entry) {
  if (!Opened(entry, partner_sends_receipts_)) return;
  // Written opened before (this batch or on disk): its clock runs already.
  if (auto before = Entry(entry.id()); before.ok() && before->disappears_at_unix_ms() != 0) {
    entry.set_disappears_at_unix_ms(before->disappears_at_unix_ms());
    return;
  }
  const int64_t at = clock_.NowUnixMs() + entry.disappear_after_ms();
  entry.set_disappears_at_unix_ms(at);
  commit_.batch().Put(DisappearKey(at, entry.id()), crypto::AsBytes("1"));
  if (disappearing_) disappearing_(at);
}

}  // namespace inmost::core
