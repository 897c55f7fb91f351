// Schema 1 → 2: numbering the history both partners share. Entries that both sides
// hold (the current partner's seqs) get the number derived from their seq, which the
// partner's own migration derives alike; entries only this side holds (notices,
// scheduled, those with a former partner) get numbers of this side's own, above all.
#include <algorithm>
#include <vector>

#include "daemon/crypto/key_pair.h"
#include "daemon/store/message_number.h"
#include "daemon/store/migration_steps.h"
#include "daemon/store/record_key.h"
#include "proto/records.pb.h"

namespace inmost::store {
namespace {

// The schema-1 keys this step reads and writes.
constexpr std::string_view kHistoryPrefix = "h/";
constexpr std::string_view kNumberPrefix = "n/";
constexpr std::string_view kCountersKey = "c/counters";
constexpr std::string_view kPartnerKey = "partner";
constexpr std::string_view kIdentityKey = "identity/static_private";

template <typename Record>
Result<Record> ReadRecord(const SealedStore& store, std::string_view key, bool* found) {
  Record record;
  auto value = store.Get(key);
  if (!value.ok()) {
    if (value.status().code() != Code::kNotFound) return value.status();
    *found = false;
    return record;
  }
  *found = true;
  if (!record.ParseFromString(*value))
    return Corruption("a record does not parse: " + std::string(key));
  return record;
}

void Put(SealedStore::WriteBatch& batch, std::string_view key,
         const google::protobuf::MessageLite& record) {
  std::string bytes = record.SerializeAsString();
  batch.Put(key, std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

// This daemon's numbering side: from both public keys, or odd with no partner.
Result<NumberingSide> OwnSide(const SealedStore& store) {
  bool paired = false;
  INMOST_ASSIGN_OR_RETURN(auto partner,
                          ReadRecord<records::PartnerRecord>(store, kPartnerKey, &paired));
  if (!paired) return NumberingSide::kOdd;
  INMOST_ASSIGN_OR_RETURN(auto secret, store.GetSecret(kIdentityKey));
  INMOST_ASSIGN_OR_RETURN(auto identity, crypto::KeyPair::FromPrivate(secret.span()));
  const std::string& theirs = partner.static_key();
  return SideOf(identity.public_key,
                std::span(reinterpret_cast<const uint8_t*>(theirs.data()), theirs.size()));
}

}  // namespace

Migration NumberMessagesStep() {
  Migration step;
  step.what = "messages gain the number both partners show";
  step.apply = [](const SealedStore& store, SealedStore::WriteBatch& batch) -> Status {
    INMOST_ASSIGN_OR_RETURN(NumberingSide mine, OwnSide(store));
    bool counted = false;
    INMOST_ASSIGN_OR_RETURN(
        auto counters, ReadRecord<records::ConversationCounters>(store, kCountersKey, &counted));
    const uint64_t first_shared = std::max<uint64_t>(1, counters.partner_first_history_id());
    // Above every number derived from a seq, on either stream, so the numbers this
    // side gives from now on meet none of them.
    uint64_t last = 0;
    if (counters.next_out_seq() > 1) last = NumberFromSeq(counters.next_out_seq() - 1, mine);
    if (counters.in_stored() > 0) {
      last = std::max(last, NumberFromSeq(counters.in_stored(), Other(mine)));
    }
    std::vector<records::HistoryEntry> own;  // Numbered after the shared ones, in order.
    Status parse_error;
    auto number = [&](records::HistoryEntry& entry) {
      std::string key(kNumberPrefix);
      AppendUint64(key, entry.number());
      records::EntryIndex index;
      index.set_history_id(entry.id());
      Put(batch, key, index);
      std::string history_key(kHistoryPrefix);
      AppendUint64(history_key, entry.id());
      Put(batch, history_key, entry);
    };
    INMOST_RETURN_IF_ERROR(store.ForEach(kHistoryPrefix, [&](std::string_view, std::string_view v) {
      records::HistoryEntry entry;
      if (!entry.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        parse_error = Corruption("a history entry does not parse");
        return false;
      }
      const bool shared = entry.id() >= first_shared && entry.seq() != 0 && !entry.moment() &&
                          entry.notice().empty();
      if (!shared) {
        own.push_back(std::move(entry));
        return true;
      }
      const bool ours = entry.direction() == records::HistoryEntry::OUTGOING;
      entry.set_number(NumberFromSeq(entry.seq(), ours ? mine : Other(mine)));
      last = std::max(last, entry.number());
      number(entry);
      return true;
    }));
    INMOST_RETURN_IF_ERROR(parse_error);
    for (auto& entry : own) {
      last = NextNumber(last, mine);
      entry.set_number(last);
      number(entry);
    }
    if (counted || last > 0) {
      counters.set_last_number(last);
      Put(batch, kCountersKey, counters);
    }
    return Status::Ok();
  };
  return step;
}

}  // namespace inmost::store
