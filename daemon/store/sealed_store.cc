#include "daemon/store/sealed_store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/options.h>
#include <sodium.h>
#include <sys/mman.h>

#include <cstring>
#include <optional>
#include <system_error>
#include <utility>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/wipe.h"
#include "daemon/store/durable_dir.h"
#include "daemon/store/leveldb_bridge.h"
#include "daemon/store/lock_holder.h"
#include "daemon/store/migrations.h"
#include "daemon/store/record_key.h"
#include "daemon/store/storage_key.h"
#include "daemon/store/unmapped_env.h"
#include "proto/records.pb.h"

namespace inmost::store {

namespace {

// Values are ciphertext and do not compress; a small cache serves recent history.
constexpr size_t kBlockCacheBytes = size_t{4} << 20;
constexpr size_t kWriteBufferBytes = size_t{2} << 20;
// Bits per key of the Bloom filters: about 1% of lookups for an absent key read a block.
constexpr int kFilterBitsPerKey = 10;
// LevelDB's marker for a database directory that exists.
constexpr char kLevelDbCurrentFile[] = "CURRENT";

static_assert(kStorageKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

leveldb::WriteOptions SyncedWrite() {
  leveldb::WriteOptions options;
  options.sync = true;  // Everything we write must survive a crash or power loss.
  return options;
}

// A fresh buffer of `size` bytes for an opened value: std::string for values,
// SecretBytes (wiped memory) for key material.
template <typename Buffer>
Buffer BufferOf(size_t size);
template <>
std::string BufferOf<std::string>(size_t size) {
  return std::string(size, '\0');
}
template <>
crypto::SecretBytes BufferOf<crypto::SecretBytes>(size_t size) {
  return crypto::SecretBytes(size);
}

uint8_t* BytesOf(std::string& buffer) {
  return reinterpret_cast<uint8_t*>(buffer.data());
}
// Nonces for sealing, drawn from the system's random source many at a time: one
// getrandom per value sealed was the most frequent system call of a stored message
// (7 a message at the sender, 4 at the recipient). Nonces are not secret, only
// unpredictable and used once: each byte of the pool is handed out once, and the
// pool's page is wiped in a forked child (MADV_WIPEONFORK), which then draws anew.
// One pool per thread, so the io thread takes nonces without a lock.
class NoncePool {
 public:
  NoncePool() {
    void* page =
        ::mmap(nullptr, sizeof(Page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return;  // Take then draws each nonce on its own.
    if (::madvise(page, sizeof(Page), MADV_WIPEONFORK) != 0) {
      ::munmap(page, sizeof(Page));  // Without it a child could reuse nonces.
      return;
    }
    page_ = static_cast<Page*>(page);
  }
  ~NoncePool() {
    if (page_ != nullptr) ::munmap(page_, sizeof(Page));
  }
  NoncePool(const NoncePool&) = delete;
  NoncePool& operator=(const NoncePool&) = delete;

  void Take(uint8_t* nonce) {
    if (page_ == nullptr) {
      randombytes_buf(nonce, kSealNonceSize);
      return;
    }
    // `left` is 0 in a new page and in a forked child's wiped copy.
    if (page_->left < kSealNonceSize) {
      randombytes_buf(page_->bytes, sizeof page_->bytes);
      page_->left = sizeof page_->bytes;
    }
    uint8_t* next = page_->bytes + sizeof page_->bytes - page_->left;
    std::memcpy(nonce, next, kSealNonceSize);
    sodium_memzero(next, kSealNonceSize);
    page_->left -= kSealNonceSize;
  }

 private:
  struct Page {
    size_t left;  // Unused bytes at the end of `bytes`.
    uint8_t bytes[kSealNonceSize * 128];
  };
  Page* page_ = nullptr;
};

void TakeSealNonce(uint8_t* nonce) {
  thread_local NoncePool pool;
  pool.Take(nonce);
}

uint8_t* BytesOf(crypto::SecretBytes& buffer) {
  // An empty secret has no buffer; libsodium only needs a valid pointer to write nothing.
  static uint8_t empty = 0;
  return buffer.empty() ? &empty : buffer.data();
}

// `plaintext` without its first `offset` bytes (the framed key).
std::string ValueOf(std::string plaintext, size_t offset) {
  crypto::EraseFront(plaintext, offset);
  return plaintext;
}
crypto::SecretBytes ValueOf(crypto::SecretBytes plaintext, size_t offset) {
  if (offset == 0) return plaintext;
  return crypto::SecretBytes::CopyOf(plaintext.span().subspan(offset));
}

}  // namespace

// ---- WriteBatch ----------------------------------------------------------------

void SealedStore::WriteBatch::Put(std::string_view key, std::span<const uint8_t> value) {
  const std::string stored_key = layout_->StoredKey(key);
  batch_.Put(ToSlice(stored_key), store_->Seal(*layout_, stored_key, key, value));
  ++count_;
}

void SealedStore::WriteBatch::Delete(std::string_view key) {
  DeleteStoredKey(layout_->StoredKey(key));
}

void SealedStore::WriteBatch::DeleteStoredKey(std::string_view stored_key) {
  batch_.Delete(ToSlice(stored_key));
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
      layout_(std::make_shared<KeyLayout>(KeyLayout::Named())),
      block_cache_(leveldb::NewLRUCache(kBlockCacheBytes)),
      filter_policy_(leveldb::NewBloomFilterPolicy(kFilterBitsPerKey)),
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
    WriteBatch batch = migrations.hide_keys() ? store->HiddenKeysBatch() : WriteBatch(*store);
    PutSchemaVersion(batch, migrations.latest());
    INMOST_RETURN_IF_ERROR(store->Write(batch));
    INMOST_RETURN_IF_ERROR(store->UseRecordedLayout());
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
  options.filter_policy = filter_policy_.get();
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

SealedStore::WriteBatch SealedStore::HiddenKeysBatch() const {
  WriteBatch batch(*this, std::make_shared<KeyLayout>(KeyLayout::Hidden(storage_key_)));
  std::string version;
  AppendUint64(version, kHiddenLayoutVersion);
  batch.Put(kKeyLayoutKey, crypto::AsBytes(version));
  return batch;
}

Status SealedStore::UseRecordedLayout() {
  Result<std::string> recorded = Get(kKeyLayoutKey);
  if (recorded.status().code() == Code::kNotFound) {
    layout_ = std::make_shared<KeyLayout>(KeyLayout::Named());
    return Status::Ok();
  }
  if (!recorded.ok()) return recorded.status();
  if (DecodeUint64(*recorded) != kHiddenLayoutVersion) {
    return Unsupported("the store at " + dir_.string() +
                       " hides its keys in a layout this build does not know: upgrade inmost");
  }
  layout_ = std::make_shared<KeyLayout>(KeyLayout::Hidden(storage_key_));
  return Status::Ok();
}

std::string SealedStore::Seal(const KeyLayout& layout, std::string_view stored_key,
                              std::string_view key, std::span<const uint8_t> value) const {
  std::string plaintext = layout.Plaintext(key, value);
  std::string ad;
  layout.AssociatedData(stored_key, ad);
  std::string sealed(plaintext.size() + kSealOverhead, '\0');
  auto* nonce = reinterpret_cast<uint8_t*>(sealed.data());
  TakeSealNonce(nonce);
  // libsodium reads no plaintext bytes when the size is 0, but wants a valid pointer.
  constexpr uint8_t kEmpty = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kSealNonceSize, nullptr,
      plaintext.empty() ? &kEmpty : reinterpret_cast<const uint8_t*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nullptr, nonce,
      storage_key_.data());
  sodium_memzero(plaintext.data(), plaintext.size());  // It may frame key material.
  return sealed;
}

bool SealedStore::Unseal(std::string_view ad, std::string_view sealed, uint8_t* out) const {
  if (!PlaintextSize(sealed)) return false;
  const auto* nonce = reinterpret_cast<const uint8_t*>(sealed.data());
  return crypto_aead_xchacha20poly1305_ietf_decrypt(out, nullptr, nullptr, nonce + kSealNonceSize,
                                                    sealed.size() - kSealNonceSize,
                                                    reinterpret_cast<const uint8_t*>(ad.data()),
                                                    ad.size(), nonce, storage_key_.data()) == 0;
}

Result<std::string> SealedStore::GetSealed(std::string_view stored_key) const {
  std::shared_lock<std::shared_mutex> lock;
  INMOST_RETURN_IF_ERROR(LockOpen(lock));
  std::string sealed;
  leveldb::Status s = db_->Get(CheckedRead(), ToSlice(stored_key), &sealed);
  if (s.IsNotFound()) return NotFound("no stored record '" + PrintableKey(stored_key) + "'");
  if (!s.ok()) return FromLevelDb(s, "read the store");
  return sealed;
}

template <typename Buffer>
Result<Buffer> SealedStore::OpenRecord(std::string_view key) const {
  const KeyLayout& layout = *layout_;
  const std::string stored_key = layout.StoredKey(key);
  Result<std::string> sealed = GetSealed(stored_key);
  if (sealed.status().code() == Code::kNotFound) {
    return NotFound("no stored record '" + PrintableKey(key) + "'");
  }
  if (!sealed.ok()) return sealed.status();
  std::optional<size_t> size = PlaintextSize(*sealed);
  if (!size) return RecordDoesNotOpen(key);
  Buffer plaintext = BufferOf<Buffer>(*size);
  std::string ad;
  layout.AssociatedData(stored_key, ad);
  if (!Unseal(ad, *sealed, BytesOf(plaintext))) {
    return RecordDoesNotOpen(key);
  }
  std::optional<OpenedRecord> record = layout.Record(
      stored_key, std::string_view(reinterpret_cast<const char*>(BytesOf(plaintext)), *size));
  if (!record || record->key != key) return RecordDoesNotOpen(key);
  return ValueOf(std::move(plaintext), *size - record->value.size());
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
  return OpenRecord<std::string>(key);
}

Result<crypto::SecretBytes> SealedStore::GetSecret(std::string_view key) const {
  return OpenRecord<crypto::SecretBytes>(key);
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

Status SealedStore::CompactKey(std::string_view key) {
  std::string stored_key = layout_->StoredKey(key);
  return CompactStored({stored_key, stored_key + '\0'});
}

Status SealedStore::CompactPrefix(std::string_view prefix) {
  return CompactStored(layout_->RangeFor(prefix));
}

Status SealedStore::CompactStored(const StoredRange& range) {
  std::shared_lock<std::shared_mutex> lock;
  INMOST_RETURN_IF_ERROR(LockOpen(lock));
  const leveldb::Slice begin = ToSlice(range.begin);
  const leveldb::Slice end = ToSlice(range.end);
  db_->CompactRange(range.begin.empty() ? nullptr : &begin, range.end.empty() ? nullptr : &end);
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
  // The store's own records are sealed for their key alone in every layout.
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
