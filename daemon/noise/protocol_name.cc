#include "daemon/noise/protocol_name.h"

#include <utility>
#include <vector>

namespace inmost::noise {
namespace {

constexpr char kSeparator = '_';
constexpr std::string_view kPrefix = "Noise";
constexpr std::string_view kDh25519 = "25519";
constexpr std::string_view kChaChaPoly = "ChaChaPoly";

// The five '_'-separated parts: prefix, pattern, DH, cipher, hash.
enum Part { kPrefixPart, kPatternPart, kDhPart, kCipherPart, kHashPart, kPartCount };

std::vector<std::string_view> SplitName(std::string_view name) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = name.find(kSeparator, start);
    parts.push_back(name.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

}  // namespace

Result<Protocol> ParseProtocolName(std::string_view protocol_name) {
  const std::string quoted = "\"" + std::string(protocol_name) + "\"";
  const std::vector<std::string_view> parts = SplitName(protocol_name);
  if (parts.size() != kPartCount || parts[kPrefixPart] != kPrefix) {
    return InvalidArgument("malformed Noise protocol name " + quoted +
                           " (expected Noise_<pattern>_<DH>_<cipher>_<hash>)");
  }
  if (parts[kDhPart] != kDh25519) {
    return Unsupported("unsupported DH function in Noise protocol " + quoted +
                       " (supported: 25519)");
  }
  if (parts[kCipherPart] != kChaChaPoly) {
    return Unsupported("unsupported cipher in Noise protocol " + quoted +
                       " (supported: ChaChaPoly)");
  }
  INMOST_ASSIGN_OR_RETURN(HashFunction hash, HashFunction::FromName(parts[kHashPart]));
  INMOST_ASSIGN_OR_RETURN(HandshakePattern pattern, HandshakePatternFromName(parts[kPatternPart]));
  return Protocol{std::string(protocol_name), std::move(pattern), hash};
}

}  // namespace inmost::noise
