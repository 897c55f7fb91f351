#include "daemon/store/sealed_store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <sodium.h>

#include <optional>
#include <system_error>
#include <utility>

#include "daemon/crypto/bytes.h"
#include "daemon/store/durable_dir.h"
#include "daemon/store/lock_holder.h"
#include "daemon/store/migrations.h"
#include "daemon/store/record_key.h"
#include "daemon/store/storage_key.h"
#include "daemon/store/unmapped_env.h"
#include "proto/records.pb.h"

namespace inmost::store {

namespace {

constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
// Bytes a seal adds to a value: the nonce in front, the tag behind.
constexpr size_t kSealOverhead = kNonceSize + kTagSize;
// Values are ciphertext and do not compress; a small cache serves recent history.
constexpr size_t kBlockCacheBytes = size_t{4} << 20;
constexpr size_t kWriteBufferBytes = size_t{2} << 20;
// LevelDB's marker for a database directory that exists.
constexpr char kLevelDbCurrentFile[] = "CURRENT";
// The text LevelDB puts in the IOError for a LOCK file another process holds.
constexpr std::string_view kLevelDbLockHeld = "already held by process";
// strerror(ENOSPC), as LevelDB's POSIX env reports it.
constexpr std::string_view kNoSpace = "No space left on device";
constexpr std::string_view kTableFile = ".ldb";
constexpr std::string_view kPastEnd = "Invalid argument";        // strerror(EINVAL)
constexpr std::string_view kReadOnly = "Read-only file system";  // strerror(EROFS)

static_assert(kStorageKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

leveldb::Slice ToSlice(std::string_view s) {
  return {s.data(), s.size()};
}
std::string_view ToView(const leveldb::Slice& s) {
  return {s.data(), s.size()};
}

// The plaintext size of a sealed value, or nullopt if it is too short to be one.
std::optional<size_t> PlaintextSize(std::string_view sealed) {
  if (sealed.size() < kSealOverhead) return std::nullopt;
  return sealed.size() - kSealOverhead;
}

// Maps a LevelDB error to ours. LevelDB's messages name files and reasons, never
// values, so they may be passed on.
Status FromLevelDb(const leveldb::Status& s, const std::string& action) {
  std::string message = "cannot " + action + ": " + s.ToString();
  if (s.IsIOError() && s.ToString().find(kNoSpace) != std::string::npos) {
    return ResourceExhausted("the disk holding the data directory is full (" + message +
                             "); nothing new is accepted until space is freed");
  }
  if (s.IsIOError() && s.ToString().find(kReadOnly) != std::string::npos) {
    return PermissionDenied("the data directory is on a read-only file system (" + message +
                            "); nothing new is accepted until it is writable again");
  }
  if (s.IsCorruption()) return Corruption(message + " (the store's files are damaged)");
  if (s.IsIOError() && s.ToString().find(kTableFile) != std::string::npos &&
      s.ToString().find(kPastEnd) != std::string::npos) {
    // LevelDB reads table files through mmap: a read past the end is EINVAL.
    return Corruption(message +
                      " (a table file is shorter than recorded: the store's files are "
                      "damaged or truncated)");
  }
  if (s.IsNotFound()) return NotFound(message);
  if (s.IsIOError() && s.ToString().find(kLevelDbLockHeld) != std::string::npos) {
    return Unavailable(message + " (is another inmost daemon using this data directory?)");
  }
  return IoError(message);
}

Status RecordDoesNotOpen(std::string_view key) {
  return Corruption("stored record '" + PrintableKey(key) +
                    "' fails authentication: the store is damaged or was tampered with");
}

leveldb::WriteOptions SyncedWrite() {
  leveldb::WriteOptions options;
  options.sync = true;  // Everything we write must survive a crash or power loss.
  return options;
}

leveldb::ReadOptions CheckedRead() {
  leveldb::ReadOptions options;
  options.verify_checksums = true;
  return options;
}

}  // namespace

// ---- WriteBatch ----------------------------------------------------------------

void SealedStore::WriteBatch::Put(std::string_view key, std::span<const uint8_t> value) {
  batch_.Put(ToSlice(key), store_->Seal(key, value));
  ++count_;
}

void SealedStore::WriteBatch::Delete(std::string_view key) {
  batch_.Delete(ToSlice(key));
  ++count_;
}

void SealedStore::WriteBatch::Clear() {
  batch_.Clear();
  count_ = 0;
}

// ---- SealedStore ---------------------------------------------------------------

SealedStore::SealedStore(std::filesystem::path dir, crypto::SecretBytes storage_key)
    : dir_(std::move(dir)),
      storage_key_(std::move(storage_key)),
      block_cache_(leveldb::NewLRUCache(kBlockCacheBytes)),
      env_(std::make_unique<UnmappedEnv>()) {}

SealedStore::~SealedStore() = default;

Result<std::unique_ptr<SealedStore>> SealedStore::Open(const std::filesystem::path& dir,
                                                       crypto::SecretBytes storage_key,
                                                       OpenMode mode) {
  return Open(dir, std::move(storage_key), mode, Migrations::ThisBuild());
}

Result<std::unique_ptr<SealedStore>> SealedStore::Open(const std::filesystem::path& dir,
                                                       crypto::SecretBytes storage_key,
                                                       OpenMode mode,
                                                       const Migrations& migrations) {
  if (storage_key.size() != kStorageKeySize) {
    return InvalidArgument("the storage key must be " + std::to_string(kStorageKeySize) + " bytes");
  }
  if (sodium_init() < 0) return IoError("libsodium could not initialize");

  // Checked here as well as by LevelDB, for messages a user can act on.
  std::error_code ec;
  const bool exists = std::filesystem::exists(dir / kLevelDbCurrentFile, ec);
  if (ec) return IoError("cannot inspect " + dir.string() + ": " + ec.message());
  if (mode == OpenMode::kCreate && exists) {
    return AlreadyExists("a store already exists at " + dir.string());
  }
  if (mode == OpenMode::kExisting && !exists) {
    return NotFound("no store at " + dir.string() + "; initialize inmost first");
  }

  std::unique_ptr<SealedStore> store(new SealedStore(dir, std::move(storage_key)));
  {
    std::unique_lock lock(store->mu_);
    INMOST_RETURN_IF_ERROR(store->OpenDbLocked(mode == OpenMode::kCreate));
  }

  if (mode == OpenMode::kCreate) {
    WriteBatch batch(*store);
    PutSchemaVersion(batch, migrations.latest());
    INMOST_RETURN_IF_ERROR(store->Write(batch));
  } else {
    INMOST_RETURN_IF_ERROR(migrations.Apply(*store));
  }
  return store;
}

Status SealedStore::OpenDbLocked(bool create) const {
  leveldb::Options options;
  options.create_if_missing = create;
  options.error_if_exists = create;
  options.paranoid_checks = true;
  options.compression = leveldb::kNoCompression;  // Ciphertext does not compress.
  options.block_cache = block_cache_.get();
  options.env = env_.get();
  // Two of these (the memtable and the one being flushed) live in memory: small,
  // to keep the daemon's resident memory low under a burst of long messages.
  options.write_buffer_size = kWriteBufferBytes;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, dir_.string(), &db);
  if (!s.ok()) {
    if (auto holder = FindLockHolder(dir_ / "LOCK")) {
      const std::string pid = std::to_string(holder->pid);
      if (holder->program == "inmostd") {
        return FailedPrecondition("inmostd is already running with this data directory (pid " +
                                  pid + "); stop it first or use another --data-dir");
      }
      return FailedPrecondition(
          "the store at " + dir_.string() + " is in use by another program (pid " + pid + ", " +
          (holder->program.empty() ? "unknown" : holder->program) + "); stop it first");
    }
    return FromLevelDb(s, "open the store at " + dir_.string());
  }
  db_.reset(db);
  // Every open renames a new CURRENT into place, and LevelDB syncs the folder only for
  // a new MANIFEST, before that rename; a new store's folder is a new name in the
  // data directory.
  INMOST_RETURN_IF_ERROR(SyncDirectory(dir_));
  if (create) INMOST_RETURN_IF_ERROR(SyncParentDirectory(dir_));
  return Status::Ok();
}

Status SealedStore::LockOpen(std::shared_lock<std::shared_mutex>& lock) const {
  lock = std::shared_lock(mu_);
  if (db_) return Status::Ok();
  lock.unlock();
  {
    std::unique_lock exclusive(mu_);
    if (!db_) {
      Status status = OpenDbLocked(/*create=*/false);
      if (!status.ok()) return status;
    }
  }
  lock = std::shared_lock(mu_);
  if (!db_) return Unavailable("the store is unavailable after a failed write");
  return Status::Ok();
}

void SealedStore::ReopenAfterFailedWrite(std::shared_lock<std::shared_mutex>& lock) {
  lock.unlock();
  std::unique_lock exclusive(mu_);
  db_.reset();
  // Failing here (the disk is still full) leaves db_ null: the next call retries.
  (void)OpenDbLocked(/*create=*/false);
}

std::string SealedStore::Seal(std::string_view key, std::span<const uint8_t> plaintext) const {
  std::string sealed(plaintext.size() + kSealOverhead, '\0');
  auto* nonce = reinterpret_cast<uint8_t*>(sealed.data());
  randombytes_buf(nonce, kNonceSize);
  // libsodium reads no plaintext bytes when the size is 0, but wants a valid pointer.
  constexpr uint8_t kEmpty = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceSize, nullptr, plaintext.empty() ? &kEmpty : plaintext.data(), plaintext.size(),
      reinterpret_cast<const uint8_t*>(key.data()), key.size(), nullptr, nonce,
      storage_key_.data());
  return sealed;
}

bool SealedStore::Unseal(std::string_view key, std::string_view sealed, uint8_t* out) const {
  if (!PlaintextSize(sealed)) return false;
  const auto* nonce = reinterpret_cast<const uint8_t*>(sealed.data());
  return crypto_aead_xchacha20poly1305_ietf_decrypt(out, nullptr, nullptr, nonce + kNonceSize,
                                                    sealed.size() - kNonceSize,
                                                    reinterpret_cast<const uint8_t*>(key.data()),
                                                    key.size(), nonce, storage_key_.data()) == 0;
}

Result<std::string> SealedStore::GetSealed(std::string_view key) const {
  std::shared_lock<std::shared_mutex> lock;
  INMOST_RETURN_IF_ERROR(LockOpen(lock));
  std::string sealed;
  leveldb::Status s = db_->Get(CheckedRead(), ToSlice(key), &sealed);
  if (s.IsNotFound()) return NotFound("no stored record '" + PrintableKey(key) + "'");
  if (!s.ok()) return FromLevelDb(s, "read the store");
  return sealed;
}

Status SealedStore::Put(std::string_view key, std::span<const uint8_t> value) {
  WriteBatch batch(*this);
  batch.Put(key, value);
  return Write(batch);
}

Status SealedStore::PutSecret(std::string_view key, const crypto::SecretBytes& value) {
  return Put(key, value.span());
}

Result<std::string> SealedStore::Get(std::string_view key) const {
  INMOST_ASSIGN_OR_RETURN(std::string sealed, GetSealed(key));
  std::optional<size_t> size = PlaintextSize(sealed);
  if (!size) return RecordDoesNotOpen(key);
  std::string plaintext(*size, '\0');
  if (!Unseal(key, sealed, reinterpret_cast<uint8_t*>(plaintext.data()))) {
    return RecordDoesNotOpen(key);
  }
  return plaintext;
}

Result<crypto::SecretBytes> SealedStore::GetSecret(std::string_view key) const {
  INMOST_ASSIGN_OR_RETURN(std::string sealed, GetSealed(key));
  std::optional<size_t> size = PlaintextSize(sealed);
  if (!size) return RecordDoesNotOpen(key);
  crypto::SecretBytes secret(*size);
  // An empty secret has no buffer; libsodium only needs a valid pointer to write nothing.
  uint8_t empty = 0;
  if (!Unseal(key, sealed, secret.empty() ? &empty : secret.data())) {
    return RecordDoesNotOpen(key);
  }
  return secret;
}

Status SealedStore::Delete(std::string_view key) {
  WriteBatch batch(*this);
  batch.Delete(key);
  return Write(batch);
}

Status SealedStore::Write(const WriteBatch& batch, Durability durability) {
  if (batch.store_ != this) {
    return InvalidArgument("a write batch was applied to a store it was not made for");
  }
  leveldb::WriteOptions options = SyncedWrite();
  options.sync = durability == Durability::kSynced;
  std::shared_lock<std::shared_mutex> lock;
  INMOST_RETURN_IF_ERROR(LockOpen(lock));
  // LevelDB's Write takes a mutable batch but does not change it.
  leveldb::Status s = db_->Write(options, const_cast<leveldb::WriteBatch*>(&batch.batch_));
  if (!s.ok()) {
    ReopenAfterFailedWrite(lock);
    return FromLevelDb(s, "write to the store");
  }
  return Status::Ok();
}

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
  std::shared_lock<std::shared_mutex> lock;
  INMOST_RETURN_IF_ERROR(LockOpen(lock));
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(CheckedRead()));
  if (!reverse) {
    it->Seek(ToSlice(prefix));
  } else if (std::optional<std::string> end = PrefixSuccessor(prefix)) {
    // Position on the last key before the first key past the prefix.
    it->Seek(*end);
    if (it->Valid()) {
      it->Prev();
    } else {
      it->SeekToLast();
    }
  } else {
    it->SeekToLast();
  }

  return OpenEach(
      *it, reverse, [prefix](std::string_view key) { return key.starts_with(prefix); }, fn);
}

Status SealedStore::ForEachInRange(
    std::string_view begin, std::string_view end,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  std::shared_lock<std::shared_mutex> lock;
  INMOST_RETURN_IF_ERROR(LockOpen(lock));
  leveldb::ReadOptions options = CheckedRead();
  options.fill_cache = false;  // A bulk scan must not evict what the daemon reads often.
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options));
  it->Seek(ToSlice(begin));
  return OpenEach(
      *it, /*reverse=*/false, [end](std::string_view key) { return end.empty() || key < end; }, fn);
}

Status SealedStore::OpenEach(
    leveldb::Iterator& it, bool reverse, const std::function<bool(std::string_view key)>& in_range,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::string plaintext;  // Reused across records, wiped after each callback.
  Status status;
  for (; it.Valid() && in_range(ToView(it.key())); reverse ? it.Prev() : it.Next()) {
    const std::string_view key = ToView(it.key());
    const std::string_view sealed = ToView(it.value());
    std::optional<size_t> size = PlaintextSize(sealed);
    if (!size) {
      status = RecordDoesNotOpen(key);
      break;
    }
    plaintext.resize(*size);
    if (!Unseal(key, sealed, reinterpret_cast<uint8_t*>(plaintext.data()))) {
      status = RecordDoesNotOpen(key);
      break;
    }
    const bool more = fn(key, plaintext);
    sodium_memzero(plaintext.data(), plaintext.size());
    if (!more) break;
  }
  // Wipe the whole buffer, including capacity left by a longer earlier record.
  plaintext.resize(plaintext.capacity());
  sodium_memzero(plaintext.data(), plaintext.size());
  if (!status.ok()) return status;
  if (!it.status().ok()) return FromLevelDb(it.status(), "read the store");
  return Status::Ok();
}

Status SealedStore::CompactRange(std::string_view begin, std::string_view end) {
  std::shared_lock<std::shared_mutex> lock;
  INMOST_RETURN_IF_ERROR(LockOpen(lock));
  const leveldb::Slice begin_slice = ToSlice(begin);
  const leveldb::Slice end_slice = ToSlice(end);
  db_->CompactRange(begin.empty() ? nullptr : &begin_slice, end.empty() ? nullptr : &end_slice);
  return Status::Ok();
}

void SealedStore::PutSchemaVersion(WriteBatch& batch, uint32_t version) {
  records::SchemaVersion record;
  record.set_version(version);
  batch.Put(kSchemaVersionKey, crypto::AsBytes(record.SerializeAsString()));
}

Result<uint32_t> SealedStore::SchemaVersion() const {
  Result<std::string> sealed = GetSealed(kSchemaVersionKey);
  if (sealed.status().code() == Code::kNotFound) {
    return Corruption("the store at " + dir_.string() +
                      " has no schema record: it was not made by inmost, or it is damaged");
  }
  if (!sealed.ok()) return sealed.status();
  std::optional<size_t> size = PlaintextSize(*sealed);
  std::string plaintext(size.value_or(0), '\0');
  if (!size || !Unseal(kSchemaVersionKey, *sealed, reinterpret_cast<uint8_t*>(plaintext.data()))) {
    return AuthenticationFailed("the storage key does not open the store at " + dir_.string() +
                                ": wrong key file or passphrase");
  }
  records::SchemaVersion record;
  if (!record.ParseFromString(plaintext) || record.version() == 0) {
    return Corruption("the schema record of the store at " + dir_.string() + " is damaged");
  }
  return record.version();
}

}  // namespace inmost::store
