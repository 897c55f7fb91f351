// The daemon's encrypted key-value store: LevelDB in which every value is sealed with
// XChaCha20-Poly1305 under the storage key. No plaintext value ever reaches LevelDB,
// and a value that fails to open is reported as an error, never skipped.
//
// Key contract: a record's key may hold only ids, sequence numbers and times (see
// record_key.h), never message content or secrets: it appears in error messages. From
// schema 3 on LevelDB never sees it (key_layout.h): it stores a keyed hash, and the
// key travels sealed with the value. Each seal binds the LevelDB key and the layout's
// version, so a value copied under another key does not open. Keys under "meta/"
// belong to the store itself.
#pragma once

#include <leveldb/write_batch.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>

#include "daemon/crypto/secret_bytes.h"
#include "daemon/store/key_layout.h"
#include "daemon/store/storage_key.h"
#include "inmost/status.h"

namespace leveldb {
class Cache;
class FilterPolicy;
struct ReadOptions;
class DB;
class Env;
class Iterator;
}  // namespace leveldb

namespace inmost::store {

class Migrations;

// The record layout this build writes: an older store is migrated to it at open
// (migrations.h). Bump it only by adding a migration to Migrations::ThisBuild().
inline constexpr uint32_t kSchemaVersion = 3;
// The key of the schema-version record (a records::SchemaVersion).
inline constexpr std::string_view kSchemaVersionKey = "meta/schema_version";

enum class Durability {
  kSynced,  // On disk (fsync) before Write returns: for anything acknowledged.
  kLazy,    // In the OS's hands; a crash may lose it, never reorder it before an
            // earlier write. Only for state that can be recomputed or re-sent.
};

enum class OpenMode {
  kCreate,    // Create a new store; fails if one already exists.
  kExisting,  // Open an existing store; fails if there is none.
};

// Thread-safe, as LevelDB is; a WriteBatch is not.
//
// A failed write (a full disk) leaves a torn record at the end of LevelDB's log, and
// writing on after it would make the log unreadable at the next start. So after a
// failed write the store closes LevelDB and opens it again (recovery ends the log
// at the torn record). While it cannot reopen (the disk is still full), every call
// fails with Unavailable and the next call tries again.
class SealedStore {
 public:
  // A set of puts and deletes applied atomically by Write(). Values are sealed as they
  // are added, so the batch never holds plaintext.
  class WriteBatch {
   public:
    // An empty batch for `store`, which must outlive it.
    explicit WriteBatch(const SealedStore& store) : WriteBatch(store, store.layout_) {}

    // Adds a put of `value` under `key`.
    void Put(std::string_view key, std::span<const uint8_t> value);
    // Adds a put of key material under `key`.
    void PutSecret(std::string_view key, const crypto::SecretBytes& value) {
      Put(key, value.span());
    }
    // Adds a delete of `key`; deleting an absent key is not an error.
    void Delete(std::string_view key);
    // Adds a delete of the LevelDB key `stored_key` as it is: for a migration that
    // moves records to another layout.
    void DeleteStoredKey(std::string_view stored_key);
    // The number of puts and deletes added since construction or Clear().
    size_t size() const { return count_; }
    // Removes every operation.
    void Clear();

   private:
    friend class SealedStore;
    WriteBatch(const SealedStore& store, std::shared_ptr<const KeyLayout> layout)
        : store_(&store), layout_(std::move(layout)) {}

    const SealedStore* store_;
    std::shared_ptr<const KeyLayout> layout_;  // The store's, or a migration's target.
    leveldb::WriteBatch batch_;
    size_t count_ = 0;
  };

  // Opens the store in directory `dir` with `storage_key` (kStorageKeySize bytes).
  // kCreate makes a new store and writes its schema record (kSchemaVersion); kExisting
  // requires one, and migrates an older store to kSchemaVersion before returning.
  // A wrong key is AuthenticationFailed; a store from a newer inmost is Unsupported;
  // a store held by another process is Unavailable.
  static Result<std::unique_ptr<SealedStore>> Open(const std::filesystem::path& dir,
                                                   crypto::SecretBytes storage_key, OpenMode mode);
  // As above with other steps than this build's (tests, and a restore that creates its
  // store at an archive's older version): kCreate writes migrations.latest(),
  // kExisting migrates to it.
  static Result<std::unique_ptr<SealedStore>> Open(const std::filesystem::path& dir,
                                                   crypto::SecretBytes storage_key, OpenMode mode,
                                                   const Migrations& migrations);

  SealedStore(const SealedStore&) = delete;
  SealedStore& operator=(const SealedStore&) = delete;
  ~SealedStore();

  // Seals `value` and stores it under `key`, synced to disk before returning.
  Status Put(std::string_view key, std::span<const uint8_t> value);
  // Stores key material under `key`, synced; the plaintext never leaves SecretBytes.
  Status PutSecret(std::string_view key, const crypto::SecretBytes& value);
  // The value under `key`: NotFound when absent, Corruption when it does not open.
  Result<std::string> Get(std::string_view key) const;
  // Key material under `key`, opened directly into SecretBytes. Errors as Get().
  Result<crypto::SecretBytes> GetSecret(std::string_view key) const;
  // Removes `key`, synced; removing an absent key is not an error. The sealed value
  // stays in LevelDB's files until compaction; see CompactRange().
  Status Delete(std::string_view key);
  // Applies every operation of `batch` atomically in one write (group commit),
  // synced unless `durability` says otherwise. The batch is left as it was;
  // `batch` must belong to this store.
  Status Write(const WriteBatch& batch, Durability durability = Durability::kSynced);

  // Calls `fn` with each key starting with `prefix` and its opened value, in key order,
  // until `fn` returns false. Both views are valid only during the call; the value's
  // buffer is wiped afterwards. A value that does not open stops the scan with
  // Corruption. Under hidden keys this reads (and orders in memory) the prefix's whole
  // class (key_layout.h): for small sets, not for the history (see ForEachShard()).
  Status ForEach(std::string_view prefix,
                 const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  // As ForEach(), from the last key with `prefix` backwards: return false after N calls
  // to read the newest N records.
  Status ForEachReverse(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  // As ForEach() over the `shard`-th of `shards` disjoint parts of the records whose
  // key starts with `prefix`, in no particular order: for bulk scans such as a search
  // over the whole history, whose blocks must not displace recent records from the
  // block cache. Each call reads through its own LevelDB iterator, so several threads
  // may scan the shards at once; together they cover every record once.
  Status ForEachShard(
      std::string_view prefix, unsigned shard, unsigned shards,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  // As ForEach() over every record but the store's own, from one consistent view, in
  // no particular order (a backup).
  Status ForEachRecord(
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  // Compacts the files that hold `key`, so its deleted or overwritten values leave them.
  Status CompactKey(std::string_view key);
  // As CompactKey() for every key starting with `prefix` (under hidden keys: its
  // class; empty: the whole store).
  Status CompactPrefix(std::string_view prefix);

  // The schema version the store records. A key that does not open the record is
  // AuthenticationFailed (a wrong key file or passphrase); a missing or garbled record
  // is Corruption.
  Result<uint32_t> SchemaVersion() const;
  // Adds the put of schema version `version` to `batch`: how a migration step records
  // that it is done, in the same write as its changes.
  static void PutSchemaVersion(WriteBatch& batch, uint32_t version);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  friend class Migrations;  // Writes the step that hides keys in the hidden layout.

  SealedStore(std::filesystem::path dir, crypto::SecretBytes storage_key);

  // A batch that writes under hidden keys (the migration that hides them), with the
  // layout record that says so.
  WriteBatch HiddenKeysBatch() const;
  // Reads the layout record: from now on reads and writes use the layout it names.
  // Only while no other thread uses the store (Open, Migrations::Apply).
  Status UseRecordedLayout();

  // `value` of record `key` sealed under `layout`, for its stored key `stored_key`: a
  // fresh random nonce followed by the ciphertext.
  std::string Seal(const KeyLayout& layout, std::string_view stored_key, std::string_view key,
                   std::span<const uint8_t> value) const;
  // Opens `sealed`, stored under `stored_key`, with associated data `ad` into `out`,
  // which must hold PlaintextSize(sealed) bytes.
  bool Unseal(std::string_view ad, std::string_view sealed, uint8_t* out) const;
  // Reads the raw sealed value under the LevelDB key `stored_key`.
  Result<std::string> GetSealed(std::string_view stored_key) const;
  // The value of record `key` opened into a buffer of `Buffer` (std::string or
  // SecretBytes), or why it cannot be.
  template <typename Buffer>
  Result<Buffer> OpenRecord(std::string_view key) const;
  Status CompactStored(const StoredRange& range);
  Status Scan(std::string_view prefix, bool reverse,
              const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // Opens the record under `it` and each one after it (before it when `reverse`)
  // while its LevelDB key is in `range`, calling `fn` with the record's key and value
  // as ForEach() says; `it` must belong to db_, with mu_ held shared. The one loop
  // behind every scan, so each wipes plaintext and reports a record that does not
  // open the same way.
  Status OpenEach(leveldb::Iterator& it, bool reverse, const StoredRange& range,
                  const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // Scans `range` in `options`, from its start or (when `reverse`) its end.
  Status ScanStored(const StoredRange& range, bool reverse, const leveldb::ReadOptions& options,
                    const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // Opens LevelDB into db_; mu_ must be held exclusively.
  Status OpenDbLocked(bool create) const;
  // Holds mu_ shared with db_ open (reopening it first if a failed write closed
  // it), or returns why it cannot.
  Status LockOpen(std::shared_lock<std::shared_mutex>& lock) const;
  // After a failed write: closes LevelDB and tries to open it again.
  void ReopenAfterFailedWrite(std::shared_lock<std::shared_mutex>& lock);

  std::filesystem::path dir_;
  crypto::SecretBytes storage_key_;
  std::shared_ptr<const KeyLayout> layout_;
  // Declared before db_ so that it is destroyed after it: LevelDB uses it until closed.
  std::unique_ptr<leveldb::Cache> block_cache_;
  // Hidden keys make a history page a series of lookups, some for deleted ids: a
  // Bloom filter answers those without reading a block.
  std::unique_ptr<const leveldb::FilterPolicy> filter_policy_;
  std::unique_ptr<leveldb::Env> env_;  // Reads table files without mapping them.
  // Shared by every call; exclusive only to close and reopen LevelDB.
  mutable std::shared_mutex mu_;
  mutable std::unique_ptr<leveldb::DB> db_;  // Null while a reopen is failing.
};

}  // namespace inmost::store
