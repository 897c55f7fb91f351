// What SealedStore's files share about LevelDB: slices and views, read options, and
// LevelDB's errors turned into ours with messages a user can act on. Internal to the
// store; nothing here may put a value or a secret into a message.
#pragma once

#include <leveldb/options.h>
#include <leveldb/slice.h>
#include <leveldb/status.h>
#include <sodium.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "inmost/status.h"

namespace inmost::store {

inline constexpr size_t kSealNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
inline constexpr size_t kSealTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
// Bytes a seal adds to a value: the nonce in front, the tag behind.
inline constexpr size_t kSealOverhead = kSealNonceSize + kSealTagSize;

inline leveldb::Slice ToSlice(std::string_view s) {
  return {s.data(), s.size()};
}
inline std::string_view ToView(const leveldb::Slice& s) {
  return {s.data(), s.size()};
}

// The plaintext size of a sealed value, or nullopt if it is too short to be one.
inline std::optional<size_t> PlaintextSize(std::string_view sealed) {
  if (sealed.size() < kSealOverhead) return std::nullopt;
  return sealed.size() - kSealOverhead;
}

// Reads that check LevelDB's block checksums.
leveldb::ReadOptions CheckedRead();

// Maps a LevelDB error to ours. LevelDB's messages name files and reasons, never
// values, so they may be passed on.
Status FromLevelDb(const leveldb::Status& s, const std::string& action);

// The error for the record `key` whose value does not open.
Status RecordDoesNotOpen(std::string_view key);

}  // namespace inmost::store
