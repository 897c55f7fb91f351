// inmost_store_probe: a test tool that looks inside a stopped daemon's sealed store
// with that data directory's own storage key (the key file; not a passphrase).
//
//   inmost_store_probe dump DATA_DIR
//       Opens every value in the store and writes all plaintexts to standard output
//       as raw bytes, one after another: a test searches them for a message body.
//   inmost_store_probe dump-versions DATA_DIR
//       As dump, but every version still in LevelDB's files (store_versions.h), the
//       overwritten and deleted ones too: a test searches them for a destroyed secret.
//   inmost_store_probe view-once-key DATA_DIR NUMBER
//       Writes, in hex, the key of the view-once message numbered NUMBER that this
//       daemon received and has not viewed ("vk/<envelope id>"), or "absent".
//   inmost_store_probe entry DATA_DIR NUMBER
//       Writes the history entry numbered NUMBER (the message number the control API
//       shows; "n/<number>" leads to "h/<id>", a records.HistoryEntry) as one line of
//       JSON (protobuf's mapping: bytes in base64), e.g. to see whether a recipient
//       still holds an envelope's ciphertext.
//   inmost_store_probe has-key DATA_DIR NUMBER
//       Writes "present" or "absent": whether the content key of our outgoing
//       envelope numbered NUMBER is still stored ("ek/<envelope id>").
//   inmost_store_probe tamper-key DATA_DIR NUMBER
//       Replaces the content key of our outgoing envelope numbered NUMBER
//       ("ek/<envelope id>") with a new random key: a sender that changes its answer
//       after committing to it.
//   inmost_store_probe damage-record DATA_DIR KEY
//       Flips one bit of the sealed value stored under KEY (e.g. tor/onion_service_key),
//       straight in LevelDB, so it no longer opens: a record damaged on disk.
//   inmost_store_probe secret-keys DATA_DIR
//       Writes the storage key ("storage-key HEX"), then every key the store holds as a
//       secret (envelope content keys "ek/", file keys "fk/", view-once keys "vk/",
//       upload keys "uk/", the invite's secret), one per line as "PREFIX HEX", every version the
//       store's files still hold (deleted ones too, as dump-versions): a test looks for them in a
//       core of the daemon.
//
// A data directory whose storage key is wrapped under a passphrase (no key file) is
// opened with the passphrase read from the first line of standard input.
// The daemon must be stopped: LevelDB is locked while it runs. Exit status 0 on
// success, 1 on an error (explained on standard error), 2 on a usage error.
#include <google/protobuf/util/json_util.h>
#include <leveldb/db.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "daemon/core/history_keys.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/store/backup_format.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/key_layout.h"
#include "daemon/store/record_key.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "inmost/status.h"
#include "proto/records.pb.h"
#include "tests/tools/store_versions.h"

namespace {

using inmost::Result;
using inmost::Status;
using inmost::store::SealedStore;

constexpr char kUsage[] =
    "usage: inmost_store_probe dump DATA_DIR\n"
    "       inmost_store_probe dump-versions DATA_DIR\n"
    "       inmost_store_probe view-once-key DATA_DIR NUMBER\n"
    "       inmost_store_probe entry DATA_DIR NUMBER\n"
    "       inmost_store_probe has-key DATA_DIR NUMBER\n"
    "       inmost_store_probe tamper-key DATA_DIR NUMBER\n"
    "       inmost_store_probe damage-record DATA_DIR KEY\n"
    "       inmost_store_probe secret-keys DATA_DIR\n";
constexpr std::string_view kEnvelopeKeyPrefix = "ek/";
constexpr size_t kContentKeySize = 32;

int Fail(const Status& status) {
  std::cerr << "inmost_store_probe: " << status.ToString() << "\n";
  return 1;
}

// The storage key: the key file's, or the wrapped one's opened with the passphrase on
// the first line of standard input.
Result<inmost::crypto::SecretBytes> LoadStorageKey(const inmost::store::DataDir& dir) {
  if (std::filesystem::exists(dir.key_file_path()) ||
      !std::filesystem::exists(dir.wrapped_key_path())) {
    return inmost::store::LoadKeyFile(dir.key_file_path());
  }
  std::string line;
  std::getline(std::cin, line);
  auto passphrase = inmost::crypto::SecretBytes::CopyOf(
      std::span(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
  return inmost::store::LoadWrapped(dir.wrapped_key_path(), passphrase);
}

Result<std::unique_ptr<SealedStore>> OpenStore(const std::string& data_dir) {
  inmost::store::DataDir dir(data_dir);
  auto key = LoadStorageKey(dir);
  if (!key.ok()) return key.status();
  return SealedStore::Open(dir.store_path(), std::move(*key), inmost::store::OpenMode::kExisting);
}

int Dump(const SealedStore& db) {
  Status status = db.ForEach("", [](std::string_view, std::string_view value) {
    std::cout.write(value.data(), static_cast<std::streamsize>(value.size()));
    return true;
  });
  std::cout.flush();
  if (!status.ok()) return Fail(status);
  return std::cout ? 0 : Fail(inmost::IoError("cannot write to standard output"));
}

Result<inmost::records::HistoryEntry> ReadEntry(const SealedStore& db, uint64_t history_id) {
  auto value = db.Get(inmost::core::HistoryKey(history_id));
  if (!value.ok()) return value.status();
  inmost::records::HistoryEntry entry;
  if (!entry.ParseFromString(*value)) {
    return inmost::Corruption("history entry " + std::to_string(history_id) + " does not parse");
  }
  return entry;
}

int PrintEntry(const SealedStore& db, uint64_t history_id) {
  auto entry = ReadEntry(db, history_id);
  if (!entry.ok()) return Fail(entry.status());
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(*entry, &json, options).ok()) {
    return Fail(inmost::Corruption("cannot print the entry as JSON"));
  }
  std::cout << json << "\n";
  return 0;
}

// The store key of the content key of our outgoing envelope `history_id`.
Result<std::string> ContentKeyKey(const SealedStore& db, uint64_t history_id) {
  auto entry = ReadEntry(db, history_id);
  if (!entry.ok()) return entry.status();
  if (entry->direction() != inmost::records::HistoryEntry::OUTGOING || !entry->has_envelope() ||
      entry->envelope().envelope_id().empty()) {
    return inmost::FailedPrecondition("history entry " + std::to_string(history_id) +
                                      " is not an outgoing envelope");
  }
  return std::string(kEnvelopeKeyPrefix) + entry->envelope().envelope_id();
}

int HasKey(const SealedStore& db, uint64_t history_id) {
  auto key_key = ContentKeyKey(db, history_id);
  if (!key_key.ok()) return Fail(key_key.status());
  auto key = db.GetSecret(*key_key);
  if (!key.ok() && key.status().code() != inmost::Code::kNotFound) return Fail(key.status());
  std::cout << (key.ok() ? "present" : "absent") << "\n";
  return 0;
}

int TamperKey(SealedStore& db, uint64_t history_id) {
  auto found = ContentKeyKey(db, history_id);
  if (!found.ok()) return Fail(found.status());
  const std::string& key_key = *found;
  auto old_key = db.GetSecret(key_key);
  if (!old_key.ok()) return Fail(old_key.status());
  auto new_key = inmost::crypto::SecretBytes::Random(kContentKeySize);
  Status status = db.PutSecret(key_key, new_key);
  if (!status.ok()) return Fail(status);
  std::cout << "replaced the content key of history entry " << history_id << "\n";
  return 0;
}

int ViewOnceKey(const SealedStore& db, uint64_t history_id) {
  auto entry = ReadEntry(db, history_id);
  if (!entry.ok()) return Fail(entry.status());
  if (!entry->has_view_once()) {
    return Fail(inmost::FailedPrecondition("history entry " + std::to_string(history_id) +
                                           " is not a view-once message"));
  }
  // A text's key is under vk/<envelope id>, a file's under vk/f/<transfer id>
  // (records.proto, ViewOnceRecord).
  const std::string name =
      entry->has_file() ? "f/" + entry->file().transfer_id() : entry->view_once().envelope_id();
  auto key = db.GetSecret(std::string(inmost::store::backup::kViewOnceKeyPrefix) + name);
  if (!key.ok() && key.status().code() != inmost::Code::kNotFound) return Fail(key.status());
  if (!key.ok()) {
    std::cout << "absent\n";
    return 0;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < key->size(); ++i) {
    std::cout << kHex[key->data()[i] >> 4] << kHex[key->data()[i] & 0xf];
  }
  std::cout << "\n";
  return 0;
}

void PrintHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : bytes) std::cout << kHex[c >> 4] << kHex[c & 0xf];
}

// Every version the store's files still hold, so a key deleted once released is found.
int SecretKeys(const std::string& data_dir) {
  inmost::store::DataDir dir(data_dir);
  auto key = LoadStorageKey(dir);
  if (!key.ok()) return Fail(key.status());
  std::cout << "storage-key ";
  PrintHex(std::string_view(reinterpret_cast<const char*>(key->data()), key->size()));
  std::cout << "\n";
  Status status = inmost::test::ForEachVersion(
      dir.store_path(), *key, [](std::string_view name, std::string_view value) {
        for (std::string_view prefix : {"ek/", "fk/", "vk/", "uk/", "invite/secret"}) {
          if (!name.starts_with(prefix)) continue;
          std::cout << prefix << " ";
          PrintHex(value);
          std::cout << "\n";
          return;
        }
      });
  std::cout.flush();
  if (!status.ok()) return Fail(status);
  return std::cout ? 0 : Fail(inmost::IoError("cannot write to standard output"));
}

// Bypasses SealedStore on purpose: it would never write a value that does not open.
// `key` names the record; a store with hidden keys holds it under their hash.
int DamageRecord(const std::string& data_dir, const std::string& key) {
  inmost::store::DataDir dir(data_dir);
  auto storage_key = LoadStorageKey(dir);
  if (!storage_key.ok()) return Fail(storage_key.status());
  leveldb::DB* raw = nullptr;
  leveldb::Status opened = leveldb::DB::Open(leveldb::Options(), dir.store_path().string(), &raw);
  if (!opened.ok()) return Fail(inmost::IoError("cannot open the store: " + opened.ToString()));
  std::unique_ptr<leveldb::DB> db(raw);
  std::string layout;
  const std::string stored_key =
      db->Get(leveldb::ReadOptions(), std::string(inmost::store::kKeyLayoutKey), &layout).ok()
          ? inmost::store::KeyLayout::Hidden(*storage_key).StoredKey(key)
          : key;
  std::string sealed;
  leveldb::Status read = db->Get(leveldb::ReadOptions(), stored_key, &sealed);
  if (!read.ok()) return Fail(inmost::NotFound("cannot read " + key + ": " + read.ToString()));
  if (sealed.empty()) return Fail(inmost::FailedPrecondition(key + " holds an empty value"));
  sealed.back() = static_cast<char>(sealed.back() ^ 0x01);  // In the authentication tag.
  leveldb::WriteOptions synced;
  synced.sync = true;
  leveldb::Status written = db->Put(synced, stored_key, sealed);
  if (!written.ok())
    return Fail(inmost::IoError("cannot write " + key + ": " + written.ToString()));
  std::cout << "damaged " << key << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  const std::string data_dir = argv[2];
  if (command == "damage-record" && argc == 4) return DamageRecord(data_dir, argv[3]);
  if (command == "dump-versions" && argc == 3) {
    inmost::store::DataDir dir(data_dir);
    auto key = inmost::store::LoadKeyFile(dir.key_file_path());
    if (!key.ok()) return Fail(key.status());
    Status status = inmost::test::ForEachVersion(
        dir.store_path(), *key, [](std::string_view, std::string_view value) {
          std::cout.write(value.data(), static_cast<std::streamsize>(value.size()));
        });
    std::cout.flush();
    return status.ok() ? 0 : Fail(status);
  }
  if (command == "secret-keys" && argc == 3) return SecretKeys(data_dir);
  if (command == "dump" && argc == 3) {
    auto db = OpenStore(data_dir);
    if (!db.ok()) return Fail(db.status());
    return Dump(**db);
  }
  if ((command == "entry" || command == "has-key" || command == "tamper-key" ||
       command == "view-once-key") &&
      argc == 4) {
    const std::string_view text = argv[3];
    uint64_t history_id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), history_id);
    if (ec != std::errc() || end != text.data() + text.size() || history_id == 0) {
      std::cerr << "inmost_store_probe: NUMBER must be a positive integer\n" << kUsage;
      return 2;
    }
    auto db = OpenStore(data_dir);
    if (!db.ok()) return Fail(db.status());
    // The tests name entries by the number the API shows: its index gives the id.
    auto index_value = (*db)->Get(inmost::core::NumberKey(history_id));
    if (!index_value.ok()) return Fail(index_value.status());
    inmost::records::EntryIndex index;
    if (!index.ParseFromString(*index_value)) {
      return Fail(
          inmost::Corruption("the index of message " + std::string(text) + " does not parse"));
    }
    history_id = index.history_id();
    if (command == "entry") return PrintEntry(**db, history_id);
    if (command == "has-key") return HasKey(**db, history_id);
    if (command == "view-once-key") return ViewOnceKey(**db, history_id);
    return TamperKey(**db, history_id);
  }
  std::cerr << kUsage;
  return 2;
}
