// How the envelope logic keeps its state (envelopes.h): the entries in the
// conversation's history, the pending index, the envelope and question indexes,
// and the withheld content keys. A destroyed key is compacted away, never kept.
#include "daemon/core/envelopes/envelope_records.h"
#include "daemon/core/envelopes/envelopes.h"
#include "daemon/core/message_view.h"
#include "daemon/crypto/bytes.h"
#include "daemon/store/record_key.h"

namespace inmost::core {
namespace {

using records::HistoryEntry;

}  // namespace

void Envelopes::Save(HistoryEntry& entry) {
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

void Envelopes::PublishChanged(const HistoryEntry& entry) {
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  *event.mutable_changed()->mutable_message() = MessageView(entry, partner_present_);
  conversation_.PublishWhenWritten(std::move(event));
}

void Envelopes::PublishReceived(const HistoryEntry& entry) {
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  *event.mutable_message_received()->mutable_message() = MessageView(entry, partner_present_);
  conversation_.PublishWhenWritten(std::move(event));
}

Result<HistoryEntry> Envelopes::Lookup(uint64_t id) const {
  // Not the pending copy: the conversation may have changed the entry since
  // (delivered, read), and it knows the latest write.
  return conversation_.Entry(id);
}

Result<HistoryEntry> Envelopes::Find(std::string_view prefix, const std::string& id) const {
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

void Envelopes::Index(std::string_view prefix, const std::string& id, uint64_t history_id) {
  records::EntryIndex index;
  index.set_history_id(history_id);
  commit_.batch().Put(KeyFor(prefix, id), crypto::AsBytes(index.SerializeAsString()));
}

void Envelopes::PutKey(const std::string& envelope_id, const crypto::SecretBytes& key) {
  commit_.batch().PutSecret(KeyFor(kContentKeyPrefix, envelope_id), key);
  unwritten_keys_.insert_or_assign(envelope_id, crypto::SecretBytes::CopyOf(key.span()));
  commit_.AfterWrite([this, envelope_id](const Status&) { unwritten_keys_.erase(envelope_id); });
}

void Envelopes::ForgetKey(const std::string& envelope_id) {
  unwritten_keys_.erase(envelope_id);
  commit_.batch().Delete(KeyFor(kContentKeyPrefix, envelope_id));
}

void Envelopes::DestroyKey(const std::string& envelope_id) {
  ForgetKey(envelope_id);
  // A deleted value stays in LevelDB's files until compaction: compact the keys'
  // range once the delete is on disk, so the key is really gone.
  commit_.AfterSync([this](const Status& status) {
    if (!status.ok()) return;
    Status compacted = store_.CompactPrefix(kContentKeyPrefix);
    if (!compacted.ok()) log_.Warning("could not compact destroyed keys: " + compacted.ToString());
  });
}

}  // namespace inmost::core
