// Building blocks for SealedStore keys. Keys are stored in the clear, so they must
// only ever hold ids, sequence numbers and times: never message content or secrets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace inmost::store {

// The width of an encoded uint64 key component.
inline constexpr size_t kUint64KeySize = 8;

// Appends `value` as 8 big-endian bytes, so numeric order equals LevelDB's byte order.
void AppendUint64(std::string& key, uint64_t value);
// `value` as 8 big-endian bytes.
std::string EncodeUint64(uint64_t value);
// The uint64 encoded in `bytes`, or nullopt when `bytes` is not exactly 8 bytes long.
std::optional<uint64_t> DecodeUint64(std::string_view bytes);

// The smallest key greater than every key that starts with `prefix`, or nullopt when
// there is none (the prefix is empty or all 0xff bytes).
std::optional<std::string> PrefixSuccessor(std::string_view prefix);

// `key` with bytes outside printable ASCII (and the backslash) escaped as \xNN, for
// error messages and logs. Only valid because keys never hold content.
std::string PrintableKey(std::string_view key);

}  // namespace inmost::store
