// How SealedStore turns a record's key into a LevelDB key, and what each seal binds.
// Since schema 3 (its migration hides the keys), LevelDB keys reveal nothing: a class byte and a
// keyed hash of the record's key, which travels inside the sealed value. A hidden layout must never
// put a record's key, or anything derived from it without the storage key, in the clear.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "daemon/crypto/secret_bytes.h"

namespace inmost::store {

// Keys under this prefix are the store's own (its schema and layout records): never
// hidden, since they must be read before the layout is known.
inline constexpr std::string_view kStoreOwnKeyPrefix = "meta/";
// The record that says a store's keys are hidden, and in which version of the layout;
// a store without it is named.
inline constexpr std::string_view kKeyLayoutKey = "meta/key_layout";
// The version of the hidden layout, bound into every seal it makes.
inline constexpr uint32_t kHiddenLayoutVersion = 1;

// Which part of LevelDB's key space a record lives in under a hidden layout. Classes
// are adjacent, so every record is in one contiguous range; a scan reads one class.
enum class KeyClass : uint8_t {
  kLookedUp = 1,  // Read by its key alone: most records.
  kScanned = 2,   // Small sets read whole or compacted together (see key_layout.cc).
  kHistory = 3,   // History entries: read by id, searched whole in shards.
};

// A range [begin, end) of LevelDB keys; an empty `end` means past the last key.
struct StoredRange {
  std::string begin;
  std::string end;
};

// A record as a scan finds it: its key and its value, both views into the opened
// plaintext.
struct OpenedRecord {
  std::string_view key;
  std::string_view value;
};

class KeyLayout {
 public:
  // Schemas 1 and 2: a LevelDB key is the record's key, and a seal binds only it.
  static KeyLayout Named();
  // Schema 3 on: hidden keys, under a subkey derived from `storage_key` (32 bytes).
  static KeyLayout Hidden(const crypto::SecretBytes& storage_key);

  bool hidden() const { return !hash_key_.empty(); }

  // The LevelDB key under which the record `key` is stored.
  std::string StoredKey(std::string_view key) const;
  // The associated data of the seal of the value stored under `stored_key`: the stored
  // key, and under a hidden layout kHiddenLayoutVersion, so that a value moved under
  // another key or from a store of an older layout does not open.
  // Written into `ad`, whose buffer a scan reuses.
  void AssociatedData(std::string_view stored_key, std::string& ad) const;
  // The plaintext sealed for record `key` with `value`: under a hidden layout the key
  // travels with the value (length, key, value); otherwise the value alone. The caller
  // wipes the result when `value` is secret.
  std::string Plaintext(std::string_view key, std::span<const uint8_t> value) const;
  // The record inside an opened `plaintext` stored under `stored_key`, or nullopt when
  // it is malformed. The seal binds the stored key, so the key inside is the one whose
  // hash it is; a lookup by key still compares the two.
  std::optional<OpenedRecord> Record(std::string_view stored_key, std::string_view plaintext) const;

  // The one LevelDB range holding every record whose key starts with `prefix`.
  StoredRange RangeFor(std::string_view prefix) const;
  // The `shard`-th of `shards` disjoint parts of RangeFor(prefix), which together
  // cover it: parallel scans of one class. A named layout does not split (shard 0
  // is the whole range, the others are empty).
  StoredRange ShardOf(std::string_view prefix, unsigned shard, unsigned shards) const;

 private:
  KeyLayout() = default;

  crypto::SecretBytes hash_key_;  // Empty for the named layout.
};

}  // namespace inmost::store
