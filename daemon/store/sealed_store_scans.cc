// SealedStore's scans: every way of reading many records goes through OpenEach(), so
// each wipes plaintext and reports a record that does not open alike.
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <sodium.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "daemon/crypto/wipe.h"
#include "daemon/store/leveldb_bridge.h"
#include "daemon/store/sealed_store.h"

namespace inmost::store {

Status SealedStore::ForEach(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  return Scan(prefix, /*reverse=*/false, fn);
}

Status SealedStore::ForEachReverse(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  return Scan(prefix, /*reverse=*/true, fn);
}

Status SealedStore::Scan(std::string_view prefix, bool reverse,
                         const std::function<bool(std::string_view, std::string_view)>& fn) const {
  const StoredRange range = layout_->RangeFor(prefix);
  if (!layout_->hidden() || prefix.starts_with(kStoreOwnKeyPrefix)) {
    return ScanStored(range, reverse, CheckedRead(), fn);  // Stored in key order.
  }
  // Hidden keys are in hash order: gather the prefix's records, then order them.
  std::vector<std::pair<std::string, std::string>> records;
  Status status = ScanStored(range, /*reverse=*/false, CheckedRead(),
                             [&](std::string_view key, std::string_view value) {
                               if (key.starts_with(prefix)) records.emplace_back(key, value);
                               return true;
                             });
  if (status.ok()) {
    std::sort(records.begin(), records.end());
    if (reverse) std::reverse(records.begin(), records.end());
    for (const auto& [key, value] : records) {
      if (!fn(key, value)) break;
    }
  }
  for (auto& record : records) crypto::WipeString(record.second);
  return status;
}

Status SealedStore::ForEachShard(
    std::string_view prefix, unsigned shard, unsigned shards,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  leveldb::ReadOptions options = CheckedRead();
  options.fill_cache = false;  // A bulk scan must not evict what the daemon reads often.
  return ScanStored(layout_->ShardOf(prefix, shard, shards), /*reverse=*/false, options,
                    [&](std::string_view key, std::string_view value) {
                      return !key.starts_with(prefix) || fn(key, value);
                    });
}

Status SealedStore::ForEachRecord(
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  return ScanStored({}, /*reverse=*/false, CheckedRead(),
                    [&](std::string_view key, std::string_view value) {
                      return key.starts_with(kStoreOwnKeyPrefix) || fn(key, value);
                    });
}

Status SealedStore::ScanStored(
    const StoredRange& range, bool reverse, const leveldb::ReadOptions& options,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::shared_lock<std::shared_mutex> lock;
  INMOST_RETURN_IF_ERROR(LockOpen(lock));
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options));
  if (!reverse) {
    it->Seek(ToSlice(range.begin));
  } else if (!range.end.empty()) {
    // Position on the last key before the end.
    it->Seek(ToSlice(range.end));
    if (it->Valid()) {
      it->Prev();
    } else {
      it->SeekToLast();
    }
  } else {
    it->SeekToLast();
  }
  return OpenEach(*it, reverse, range, fn);
}

Status SealedStore::OpenEach(
    leveldb::Iterator& it, bool reverse, const StoredRange& range,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  const KeyLayout& layout = *layout_;
  std::string plaintext;  // Reused across records, wiped after each callback.
  std::string ad;         // Reused across records.
  Status status;
  for (; it.Valid(); reverse ? it.Prev() : it.Next()) {
    const std::string_view stored_key = ToView(it.key());
    if (stored_key < range.begin || (!range.end.empty() && stored_key >= range.end)) break;
    const std::string_view sealed = ToView(it.value());
    std::optional<size_t> size = PlaintextSize(sealed);
    if (!size) {
      status = RecordDoesNotOpen(stored_key);
      break;
    }
    plaintext.resize(*size);
    layout.AssociatedData(stored_key, ad);
    if (!Unseal(ad, sealed, reinterpret_cast<uint8_t*>(plaintext.data()))) {
      status = RecordDoesNotOpen(stored_key);
      break;
    }
    std::optional<OpenedRecord> record = layout.Record(stored_key, plaintext);
    if (!record) {
      status = RecordDoesNotOpen(stored_key);
      break;
    }
    const bool more = fn(record->key, record->value);
    sodium_memzero(plaintext.data(), plaintext.size());
    if (!more) break;
  }
  crypto::WipeString(plaintext);  // Including capacity left by a longer record.
  if (!status.ok()) return status;
  if (!it.status().ok()) return FromLevelDb(it.status(), "read the store");
  return Status::Ok();
}

}  // namespace inmost::store
