// Every version of every record a stopped store still holds on disk, overwritten and
// deleted ones included: what LevelDB's table files (*.ldb, *.sst) and its write-ahead
// logs (*.log) contain, each value opened with the storage key where it opens. A test
// uses it to show that a destroyed secret is gone from the files, not only from the
// store's current view (store_probe.cc, `dump-versions`).
#include "tests/tools/store_versions.h"

#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>
#include <sodium.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <optional>

#include "daemon/store/key_layout.h"

namespace inmost::test {
namespace {

namespace fs = std::filesystem;

constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
// LevelDB's internal key ends in 8 bytes of sequence number and type.
constexpr size_t kInternalKeyTail = 8;
// LevelDB's log: 32 KiB blocks of records, each with a 7-byte header (CRC, length,
// type); a write batch is 8 bytes of sequence, 4 of count, then its operations.
constexpr size_t kLogBlockSize = 32768;
constexpr size_t kLogHeaderSize = 7;
constexpr size_t kBatchHeaderSize = 12;
enum LogRecordType : uint8_t { kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };
enum BatchTag : uint8_t { kDeletion = 0, kValue = 1 };

// The storage key, and the layout of hidden keys it makes (key_layout.h).
struct StoreKeys {
  const crypto::SecretBytes& storage;
  store::KeyLayout hidden;
};

// Opens `sealed` (nonce, ciphertext and tag) stored under LevelDB key `key`, as a
// named record (the key is the associated data) or a hidden one (the record's key
// is inside).
void OpenValue(std::string_view key, std::string_view sealed, const StoreKeys& keys,
               const VersionSink& sink) {
  if (sealed.size() < kNonceSize + kTagSize) return;
  std::string plain(sealed.size() - kNonceSize - kTagSize, '\0');
  const auto* nonce = reinterpret_cast<const uint8_t*>(sealed.data());
  auto opens = [&](std::string_view ad) {
    return crypto_aead_xchacha20poly1305_ietf_decrypt(
               reinterpret_cast<uint8_t*>(plain.data()), nullptr, nullptr, nonce + kNonceSize,
               sealed.size() - kNonceSize, reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
               nonce, keys.storage.data()) == 0;
  };
  if (opens(key)) {
    sink(key, plain);
    return;
  }
  std::string ad;
  keys.hidden.AssociatedData(key, ad);
  if (!opens(ad)) return;
  if (std::optional<store::OpenedRecord> record = keys.hidden.Record(key, plain)) {
    sink(record->key, record->value);
  }
}

bool ReadVarint32(std::string_view& in, uint32_t& value) {
  value = 0;
  for (int shift = 0; shift <= 28 && !in.empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    value |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool ReadSlice(std::string_view& in, std::string_view& out) {
  uint32_t size = 0;
  if (!ReadVarint32(in, size) || size > in.size()) return false;
  out = in.substr(0, size);
  in.remove_prefix(size);
  return true;
}

void ReadBatch(std::string_view batch, const StoreKeys& storage, const VersionSink& sink) {
  if (batch.size() < kBatchHeaderSize) return;
  batch.remove_prefix(kBatchHeaderSize);
  while (!batch.empty()) {
    const auto tag = static_cast<uint8_t>(batch.front());
    batch.remove_prefix(1);
    std::string_view key, value;
    if (!ReadSlice(batch, key)) return;
    if (tag == kDeletion) continue;
    if (tag != kValue || !ReadSlice(batch, value)) return;
    OpenValue(key, value, storage, sink);
  }
}

Status ReadLog(const fs::path& path, const StoreKeys& storage, const VersionSink& sink) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read " + path.string());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string record;
  for (size_t block = 0; block < bytes.size(); block += kLogBlockSize) {
    std::string_view rest = std::string_view(bytes).substr(block, kLogBlockSize);
    while (rest.size() >= kLogHeaderSize) {
      const size_t length = static_cast<uint8_t>(rest[4]) | (static_cast<uint8_t>(rest[5]) << 8);
      const auto type = static_cast<uint8_t>(rest[6]);
      if (type == 0 || kLogHeaderSize + length > rest.size()) break;  // Padding, or torn.
      std::string_view payload = rest.substr(kLogHeaderSize, length);
      rest.remove_prefix(kLogHeaderSize + length);
      if (type == kFull || type == kFirst) record.clear();
      record.append(payload);
      if (type == kFull || type == kLast) ReadBatch(record, storage, sink);
    }
  }
  return Status::Ok();
}

Status ReadTable(const fs::path& path, const StoreKeys& storage, const VersionSink& sink) {
  leveldb::Env* env = leveldb::Env::Default();
  leveldb::RandomAccessFile* raw_file = nullptr;
  uint64_t size = 0;
  if (!env->GetFileSize(path.string(), &size).ok() ||
      !env->NewRandomAccessFile(path.string(), &raw_file).ok()) {
    return IoError("cannot read " + path.string());
  }
  std::unique_ptr<leveldb::RandomAccessFile> file(raw_file);
  leveldb::Table* raw_table = nullptr;
  leveldb::Options options;
  if (!leveldb::Table::Open(options, file.get(), size, &raw_table).ok()) {
    return Corruption(path.string() + " is not a LevelDB table");
  }
  std::unique_ptr<leveldb::Table> table(raw_table);
  std::unique_ptr<leveldb::Iterator> it(table->NewIterator(leveldb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    leveldb::Slice internal = it->key();
    if (internal.size() < kInternalKeyTail) continue;
    if (static_cast<uint8_t>(internal[internal.size() - kInternalKeyTail]) != kValue) continue;
    std::string_view key(internal.data(), internal.size() - kInternalKeyTail);
    OpenValue(key, std::string_view(it->value().data(), it->value().size()), storage, sink);
  }
  return it->status().ok() ? Status::Ok()
                           : Corruption(path.string() + ": " + it->status().ToString());
}

}  // namespace

Status ForEachVersion(const fs::path& store_dir, const crypto::SecretBytes& storage_key,
                      const VersionSink& sink) {
  const StoreKeys keys{storage_key, store::KeyLayout::Hidden(storage_key)};
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(store_dir, ec)) {
    const std::string ext = file.path().extension().string();
    if (ext == ".log") {
      INMOST_RETURN_IF_ERROR(ReadLog(file.path(), keys, sink));
    } else if (ext == ".ldb" || ext == ".sst") {
      INMOST_RETURN_IF_ERROR(ReadTable(file.path(), keys, sink));
    }
  }
  if (ec) return IoError("cannot list " + store_dir.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace inmost::test
