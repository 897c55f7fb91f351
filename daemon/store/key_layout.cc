#include "daemon/store/key_layout.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "daemon/store/record_key.h"

namespace inmost::store {

namespace {

// The keyed hash that names a record: long enough that no two of billions collide.
constexpr size_t kKeyHashSize = 16;
constexpr size_t kStoredKeySize = 1 + kKeyHashSize;
// The subkey of the storage key that keys those hashes (crypto_kdf, BLAKE2b).
constexpr uint64_t kKeyHashSubkeyId = 1;
constexpr char kKeyHashContext[crypto_kdf_CONTEXTBYTES + 1] = "inmostky";
// A record's key is at most this long: its length is framed in two bytes.
constexpr size_t kKeyLengthSize = 2;
constexpr size_t kMaxKeySize = 0xffff;
constexpr int kBitsPerByte = 8;
constexpr unsigned kByteValues = 256;

// The record families whose class is not kLookedUp. They are spelled out here, the
// one place that knows how records are spread over LevelDB; their owners are in
// daemon/core (history_keys.h, envelope_records.h, files/transfer_state.h, ...).
constexpr std::string_view kHistoryFamily = "h/";
// Read whole at start or on request, or compacted as a family after a delete; each is
// small (pending envelopes, timers, pins, transfers, uploads, active days, withheld
// envelope keys, view-once keys), so reading the whole class stays cheap.
constexpr std::array<std::string_view, 9> kScannedFamilies = {"p/",  "dx/", "pin/", "xo/", "xi/",
                                                              "up/", "d/",  "ek/",  "vk/"};

std::optional<KeyClass> ClassOfPrefix(std::string_view prefix) {
  if (prefix.starts_with(kHistoryFamily)) return KeyClass::kHistory;
  for (std::string_view family : kScannedFamilies) {
    if (prefix.starts_with(family)) return KeyClass::kScanned;
  }
  // A prefix that some family starts with (such as "p") may span several classes.
  if (prefix.empty() || kHistoryFamily.starts_with(prefix)) return std::nullopt;
  for (std::string_view family : kScannedFamilies) {
    if (family.starts_with(prefix)) return std::nullopt;
  }
  return KeyClass::kLookedUp;
}

KeyClass ClassOf(std::string_view key) {
  return ClassOfPrefix(key).value_or(KeyClass::kLookedUp);
}

std::string ClassByte(KeyClass c) {
  return std::string(1, static_cast<char>(c));
}

}  // namespace

KeyLayout KeyLayout::Named() {
  return KeyLayout();
}

KeyLayout KeyLayout::Hidden(const crypto::SecretBytes& storage_key) {
  static_assert(crypto_kdf_KEYBYTES == crypto_generichash_KEYBYTES);
  KeyLayout layout;
  layout.hash_key_ = crypto::SecretBytes(crypto_generichash_KEYBYTES);
  crypto_kdf_derive_from_key(layout.hash_key_.data(), layout.hash_key_.size(), kKeyHashSubkeyId,
                             kKeyHashContext, storage_key.data());
  return layout;
}

std::string KeyLayout::StoredKey(std::string_view key) const {
  if (!hidden() || key.starts_with(kStoreOwnKeyPrefix)) return std::string(key);
  std::string stored = ClassByte(ClassOf(key));
  stored.resize(kStoredKeySize);
  crypto_generichash(reinterpret_cast<uint8_t*>(stored.data()) + 1, kKeyHashSize,
                     reinterpret_cast<const uint8_t*>(key.data()), key.size(), hash_key_.data(),
                     hash_key_.size());
  return stored;
}

void KeyLayout::AssociatedData(std::string_view stored_key, std::string& ad) const {
  ad.assign(stored_key);
  if (!hidden() || stored_key.starts_with(kStoreOwnKeyPrefix)) return;
  for (int shift = 3 * kBitsPerByte; shift >= 0; shift -= kBitsPerByte) {
    ad.push_back(static_cast<char>((kHiddenLayoutVersion >> shift) & 0xff));
  }
}

std::string KeyLayout::Plaintext(std::string_view key, std::span<const uint8_t> value) const {
  if (!hidden() || key.starts_with(kStoreOwnKeyPrefix)) {
    return std::string(reinterpret_cast<const char*>(value.data()), value.size());
  }
  const size_t key_size = std::min(key.size(), kMaxKeySize);  // Keys are ids: far shorter.
  std::string plaintext;
  plaintext.reserve(kKeyLengthSize + key_size + value.size());
  plaintext.push_back(static_cast<char>(key_size >> kBitsPerByte));
  plaintext.push_back(static_cast<char>(key_size & 0xff));
  plaintext.append(key.substr(0, key_size));
  plaintext.append(reinterpret_cast<const char*>(value.data()), value.size());
  return plaintext;
}

std::optional<OpenedRecord> KeyLayout::Record(std::string_view stored_key,
                                              std::string_view plaintext) const {
  if (!hidden() || stored_key.starts_with(kStoreOwnKeyPrefix)) {
    return OpenedRecord{stored_key, plaintext};
  }
  if (plaintext.size() < kKeyLengthSize) return std::nullopt;
  const size_t key_size =
      (static_cast<size_t>(static_cast<uint8_t>(plaintext[0])) << kBitsPerByte) |
      static_cast<uint8_t>(plaintext[1]);
  if (plaintext.size() < kKeyLengthSize + key_size) return std::nullopt;
  // The seal binds the stored key, which only this layout made from the key inside:
  // hashing it again would cost a scan more than opening the record does.
  return OpenedRecord{plaintext.substr(kKeyLengthSize, key_size),
                      plaintext.substr(kKeyLengthSize + key_size)};
}

StoredRange KeyLayout::RangeFor(std::string_view prefix) const {
  if (!hidden() || prefix.starts_with(kStoreOwnKeyPrefix)) {
    return {std::string(prefix), PrefixSuccessor(prefix).value_or("")};
  }
  if (std::optional<KeyClass> c = ClassOfPrefix(prefix)) {
    return {ClassByte(*c), std::string(1, static_cast<char>(static_cast<uint8_t>(*c) + 1))};
  }
  return {ClassByte(KeyClass::kLookedUp),
          std::string(1, static_cast<char>(static_cast<uint8_t>(KeyClass::kHistory) + 1))};
}

StoredRange KeyLayout::ShardOf(std::string_view prefix, unsigned shard, unsigned shards) const {
  StoredRange whole = RangeFor(prefix);
  if (shards <= 1 || !hidden() || whole.begin.size() != 1) {
    if (shard == 0) return whole;
    return {whole.begin, whole.begin};  // Empty.
  }
  // A class's hashes are uniform, so equal spans of their first byte are equal work.
  shards = std::min(shards, kByteValues);
  if (shard >= shards) return {whole.begin, whole.begin};
  StoredRange part = whole;
  if (shard > 0) part.begin.push_back(static_cast<char>(shard * kByteValues / shards));
  if (shard + 1 < shards) {
    part.end = whole.begin;
    part.end.push_back(static_cast<char>((shard + 1) * kByteValues / shards));
  }
  return part;
}

}  // namespace inmost::store
