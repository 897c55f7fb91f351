// Noise handshake patterns (spec 7) as data: a table of base patterns in the spec's own
// notation, and the pskN modifiers (spec 9) applied to them. Must never hold per-pattern
// logic: HandshakeState runs any pattern from the table the same way.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "inmost/status.h"

namespace inmost::noise {

// The tokens of message patterns (spec 7.1, 9.1). For DH tokens the first letter names
// the initiator's key and the second the responder's.
enum class Token { kE, kS, kEE, kES, kSE, kSS, kPsk };

using MessagePattern = std::vector<Token>;

struct HandshakePattern {
  std::string name;                      // As in protocol names, e.g. "IKpsk2".
  MessagePattern initiator_premessage;   // "-> s" before "...": only e/s tokens.
  MessagePattern responder_premessage;   // "<- s" before "...".
  std::vector<MessagePattern> messages;  // Even indexes: initiator to responder.

  // Number of psk tokens; a pattern with any is a PSK handshake (spec 9.2).
  size_t PskCount() const;
  bool IsPsk() const { return PskCount() > 0; }
};

// The pattern named `name`: a base pattern from the table followed by optional modifiers
// such as "psk2" or "psk0+psk2". Unknown patterns and modifiers are Unsupported.
Result<HandshakePattern> HandshakePatternFromName(std::string_view name);

}  // namespace inmost::noise
