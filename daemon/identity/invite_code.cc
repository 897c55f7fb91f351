#include "daemon/identity/invite_code.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "daemon/crypto/bytes.h"
#include "daemon/crypto/hash.h"
#include "daemon/identity/ascii.h"
#include "daemon/identity/base32.h"

namespace inmost::identity {
namespace {

// ---- Payload layout (see the header) ----
constexpr size_t kVersionOffset = 0;
constexpr size_t kKeyOffset = kVersionOffset + 1;
constexpr size_t kSecretOffset = kKeyOffset + crypto::kX25519KeySize;
constexpr size_t kExpiryOffset = kSecretOffset + kInviteSecretSize;
constexpr size_t kExpirySize = 8;
constexpr size_t kCountOffset = kExpiryOffset + kExpirySize;
constexpr size_t kAddressesOffset = kCountOffset + 1;
constexpr size_t kChecksumSize = 4;
constexpr std::string_view kChecksumLabel = "inmost invite checksum v1";
constexpr size_t kChecksumHashSize = 32;  // BLAKE2b-256, truncated to kChecksumSize.

std::string FormatUtc(int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char buf[64];
  if (gmtime_r(&t, &tm) == nullptr ||
      std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
    return "unix time " + std::to_string(unix_seconds);
  }
  return buf;
}

// ---- Error messages, one per problem ----

Status NotAnInvite() {
  return InvalidArgument("not an inmost invite code: it should start with " +
                         std::string(kInvitePrefix));
}
Status NewerFormat(const std::string& what) {
  return Unsupported("this invite code was made by a newer inmost (" + what +
                     "); update inmost to use it");
}
Status ChecksumMismatch() {
  return Corruption("the code was altered or mistyped: checksum mismatch");
}
Status Incomplete() {
  return Corruption(
      "the code is incomplete: its end is missing; copy the whole code, up to its last "
      "character");
}

// ---- Payload helpers ----

std::array<uint8_t, kChecksumSize> Checksum(std::span<const uint8_t> payload) {
  std::array<uint8_t, kChecksumHashSize> hash{};
  // Blake2b wipes its state, which absorbed the secret.
  crypto::Blake2b(hash, {crypto::AsBytes(kChecksumLabel), payload});
  std::array<uint8_t, kChecksumSize> out{};
  std::copy_n(hash.begin(), kChecksumSize, out.begin());
  return out;
}

// True when the last kChecksumSize bytes of `data` are the checksum of the rest.
bool ChecksumMatches(std::span<const uint8_t> data) {
  if (data.size() < kChecksumSize) return false;
  const auto payload = data.first(data.size() - kChecksumSize);
  const auto expected = Checksum(payload);
  return std::equal(expected.begin(), expected.end(), data.end() - kChecksumSize);
}

// The length of a version-1 payload plus checksum whose leading bytes are `data`,
// read from its address count and lengths; nullopt when `data` ends before them.
std::optional<size_t> EncodedLength(std::span<const uint8_t> data) {
  if (data.size() <= kCountOffset) return std::nullopt;
  size_t pos = kAddressesOffset;
  for (size_t i = 0; i < data[kCountOffset]; ++i) {
    if (pos >= data.size()) return std::nullopt;
    pos += 1 + data[pos];
  }
  return pos + kChecksumSize;
}

// ---- Text scanning ----

// The decoded body of a code: its bytes (in secret memory: they hold the PSK),
// where its base32 characters are in the text, and where decoding stopped.
struct Body {
  crypto::SecretBytes bytes;
  std::vector<size_t> char_positions;  // Index in the text of each base32 character.
  std::optional<size_t> bad_char;      // Index of the first character of no code.
};

// Checks the "inmost<digits>-" prefix; returns the index just past it.
Result<size_t> SkipPrefix(std::string_view text) {
  size_t i = 0;
  auto next = [&]() -> int {
    while (i < text.size() && IsSpace(text[i])) ++i;
    return i < text.size() ? ToLower(text[i++]) : -1;
  };
  constexpr std::string_view kName = "inmost";
  for (char expected : kName) {
    if (next() != expected) return NotAnInvite();
  }
  constexpr size_t kMaxVersionDigits = 4;
  std::string digits;
  int c = next();
  while (c >= '0' && c <= '9' && digits.size() < kMaxVersionDigits) {
    digits.push_back(static_cast<char>(c));
    c = next();
  }
  if (c != '-' || digits.empty()) return NotAnInvite();
  const std::string_view ours =
      kInvitePrefix.substr(kName.size(), kInvitePrefix.size() - kName.size() - 1);
  if (digits != ours) return NewerFormat("its code starts with inmost" + digits + "-");
  return i;
}

// Decodes the base32 characters after the prefix into secret memory, skipping
// whitespace and '-', and stopping at the first other character.
Body DecodeBody(std::string_view text, size_t start) {
  Body body;
  for (size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (IsSpace(c) || c == '-') continue;
    if (Base32Value(c) < 0) {
      body.bad_char = i;
      break;
    }
    body.char_positions.push_back(i);
  }
  body.bytes = crypto::SecretBytes(body.char_positions.size() * kBase32BitsPerChar / kBitsPerByte);
  uint32_t bits = 0;
  int count = 0;
  size_t out = 0;
  for (size_t pos : body.char_positions) {
    bits = (bits << kBase32BitsPerChar) | static_cast<uint32_t>(Base32Value(text[pos]));
    count += kBase32BitsPerChar;
    if (count >= kBitsPerByte) {
      count -= kBitsPerByte;
      body.bytes.data()[out++] = static_cast<uint8_t>(bits >> count);
    }
  }
  sodium_memzero(&bits, sizeof(bits));  // It held secret bits.
  return body;
}

Status BadCharacter(std::string_view text, size_t index) {
  return InvalidArgument("the code contains " + DescribeChar(text[index]) + " at character " +
                         std::to_string(index + 1) +
                         ", which no invite code has (they use only letters and the digits 2-7)");
}

Status TrailingText(size_t index) {
  return InvalidArgument("there is extra text after the end of the code (from character " +
                         std::to_string(index + 1) + "); copy only the code");
}

// True when the unused low bits of the last character of a `length`-byte code
// are zero, so the code is spelled the one canonical way.
bool PaddingIsZero(std::string_view text, const Body& body, size_t length) {
  const size_t chars = Base32Length(length);
  const size_t unused_bits = chars * kBase32BitsPerChar - length * kBitsPerByte;
  if (unused_bits == 0) return true;
  const int last = Base32Value(text[body.char_positions[chars - 1]]);
  return (last & ((1 << unused_bits) - 1)) == 0;
}

uint64_t ReadBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < kExpirySize; ++i) v = (v << 8) | p[i];
  return v;
}

// Reads the fields of a checksum-verified version-1 payload (checksum excluded).
Result<Invite> ReadFields(std::span<const uint8_t> data) {
  Invite invite;
  std::copy_n(data.begin() + kKeyOffset, crypto::kX25519KeySize, invite.inviter_key.begin());
  invite.secret = crypto::SecretBytes::CopyOf(data.subspan(kSecretOffset, kInviteSecretSize));
  const uint64_t expiry = ReadBigEndian64(data.data() + kExpiryOffset);
  if (expiry > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return InvalidArgument("the code's expiry time is out of range; ask for a new code");
  }
  invite.expires_at_unix = static_cast<int64_t>(expiry);

  const size_t count = data[kCountOffset];
  if (count == 0) {
    return InvalidArgument("the code carries no address to reach the inviter; ask for a new code");
  }
  if (count > kMaxInviteAddresses) {
    return InvalidArgument("the code carries " + std::to_string(count) + " addresses; at most " +
                           std::to_string(kMaxInviteAddresses) + " are allowed");
  }
  size_t pos = kAddressesOffset;
  for (size_t i = 0; i < count; ++i) {
    const size_t len = data[pos++];
    std::string address(reinterpret_cast<const char*>(data.data() + pos), len);
    pos += len;
    INMOST_RETURN_IF_ERROR(ValidateAddress(address));
    invite.addresses.push_back(std::move(address));
  }
  return invite;
}

}  // namespace

Status ValidateInvite(const Invite& invite) {
  if (invite.secret.size() != kInviteSecretSize) {
    return InvalidArgument("the invite secret must be " + std::to_string(kInviteSecretSize) +
                           " bytes");
  }
  if (invite.addresses.empty()) return InvalidArgument("an invite needs at least one address");
  if (invite.addresses.size() > kMaxInviteAddresses) {
    return InvalidArgument("an invite carries at most " + std::to_string(kMaxInviteAddresses) +
                           " addresses");
  }
  for (const std::string& address : invite.addresses) {
    INMOST_RETURN_IF_ERROR(ValidateAddress(address));
  }
  if (invite.expires_at_unix < 0) return InvalidArgument("the invite expiry must not be negative");
  return Status::Ok();
}

std::string EncodeInvite(const Invite& invite) {
  if (Status s = ValidateInvite(invite); !s.ok()) throw std::invalid_argument(s.message());

  size_t payload_size = kAddressesOffset;
  for (const std::string& address : invite.addresses) payload_size += 1 + address.size();
  // Secret memory: the payload holds the PSK in the clear.
  crypto::SecretBytes data(payload_size + kChecksumSize);
  uint8_t* p = data.data();
  p[kVersionOffset] = kInviteFormatVersion;
  std::copy(invite.inviter_key.begin(), invite.inviter_key.end(), p + kKeyOffset);
  std::copy_n(invite.secret.data(), kInviteSecretSize, p + kSecretOffset);
  const auto expiry = static_cast<uint64_t>(invite.expires_at_unix);
  for (size_t i = 0; i < kExpirySize; ++i) {
    p[kExpiryOffset + i] = static_cast<uint8_t>(expiry >> (8 * (kExpirySize - 1 - i)));
  }
  p[kCountOffset] = static_cast<uint8_t>(invite.addresses.size());
  size_t pos = kAddressesOffset;
  for (const std::string& address : invite.addresses) {
    p[pos++] = static_cast<uint8_t>(address.size());
    std::memcpy(p + pos, address.data(), address.size());
    pos += address.size();
  }
  const auto checksum = Checksum(data.span().first(payload_size));
  std::copy(checksum.begin(), checksum.end(), p + payload_size);

  // Reserved exactly, so no reallocation leaves a partial copy behind.
  std::string text;
  text.reserve(kInvitePrefix.size() + Base32Length(data.size()));
  text.append(kInvitePrefix);
  AppendBase32(data.span(), text);
  return text;
}

Result<Invite> ParseInvite(std::string_view text, int64_t now_unix) {
  if (text.size() > kMaxInviteTextLength) {
    return InvalidArgument("the text is too long to be an invite code (" +
                           std::to_string(text.size()) + " characters; at most " +
                           std::to_string(kMaxInviteTextLength) + ")");
  }
  INMOST_ASSIGN_OR_RETURN(size_t body_start, SkipPrefix(text));
  const Body body = DecodeBody(text, body_start);
  const std::span<const uint8_t> data = body.bytes.span();
  const size_t chars = body.char_positions.size();
  // A stray character right after a complete code is extra text (such as a
  // pasted sentence); anywhere else it is the problem to report.
  auto or_bad_char = [&](Status otherwise) {
    return body.bad_char ? BadCharacter(text, *body.bad_char) : otherwise;
  };

  if (data.empty()) return or_bad_char(Incomplete());
  if (data[kVersionOffset] != kInviteFormatVersion) {
    // Every version ends with the checksum, so an intact code of another version
    // is told apart from a mistyped first character.
    if (!body.bad_char && ChecksumMatches(data)) {
      return NewerFormat("invite format " + std::to_string(data[kVersionOffset]));
    }
    return or_bad_char(ChecksumMismatch());
  }

  const std::optional<size_t> length = EncodedLength(data);
  if (!length || chars < Base32Length(*length)) return or_bad_char(Incomplete());
  const size_t code_chars = Base32Length(*length);
  const bool intact = PaddingIsZero(text, body, *length) && ChecksumMatches(data.first(*length));
  if (!intact) return or_bad_char(ChecksumMismatch());
  if (chars > code_chars) return TrailingText(body.char_positions[code_chars]);
  if (body.bad_char) return TrailingText(*body.bad_char);

  INMOST_ASSIGN_OR_RETURN(Invite invite, ReadFields(data.first(*length - kChecksumSize)));
  if (now_unix >= invite.expires_at_unix) {
    return Expired("this invite expired at " + FormatUtc(invite.expires_at_unix) +
                   "; ask for a new one");
  }
  return invite;
}

}  // namespace inmost::identity