#include "daemon/noise/handshake_pattern.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <stdexcept>

namespace inmost::noise {
namespace {

// A base pattern written exactly as in the spec, tokens separated by ", ".
struct BasePattern {
  std::string_view name;
  std::string_view initiator_premessage;
  std::string_view responder_premessage;
  std::vector<std::string_view> messages;
};

// Spec 7.4 and 7.5 (interactive patterns). Adding a pattern is adding a row.
std::vector<BasePattern> BasePatterns() {
  return {
      // NN:
      //   -> e
      //   <- e, ee
      {"NN", "", "", {"e", "e, ee"}},
      // KK:
      //   -> s
      //   <- s
      //   ...
      //   -> e, es, ss
      //   <- e, ee, se
      {"KK", "s", "s", {"e, es, ss", "e, ee, se"}},
      // IK:
      //   <- s
      //   ...
      //   -> e, es, s, ss
      //   <- e, ee, se
      {"IK", "", "s", {"e, es, s, ss", "e, ee, se"}},
      // XX:
      //   -> e
      //   <- e, ee, s, es
      //   -> s, se
      {"XX", "", "", {"e", "e, ee, s, es", "s, se"}},
  };
}

constexpr std::string_view kTokenSeparator = ", ";
constexpr char kModifierSeparator = '+';
constexpr std::string_view kPskModifier = "psk";

// The table is constant and covered by tests, so a bad token in it is a programmer error.
Token ParseToken(std::string_view text) {
  constexpr std::array<std::pair<std::string_view, Token>, 7> kTokens = {{
      {"e", Token::kE},
      {"s", Token::kS},
      {"ee", Token::kEE},
      {"es", Token::kES},
      {"se", Token::kSE},
      {"ss", Token::kSS},
      {"psk", Token::kPsk},
  }};
  for (const auto& [name, token] : kTokens) {
    if (name == text) return token;
  }
  throw std::logic_error("bad token in the Noise pattern table");
}

MessagePattern ParseMessagePattern(std::string_view text) {
  MessagePattern tokens;
  while (!text.empty()) {
    const size_t end = text.find(kTokenSeparator);
    tokens.push_back(ParseToken(text.substr(0, end)));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + kTokenSeparator.size());
  }
  return tokens;
}

// The base pattern's name is its leading uppercase letters and digits ("XX", "I1K1").
size_t BaseNameLength(std::string_view name) {
  const auto it = std::find_if(name.begin(), name.end(), [](char c) {
    return !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
  });
  return static_cast<size_t>(it - name.begin());
}

// Applies one "pskN" modifier (spec 9.2): psk0 puts a psk token at the start of the first
// message, pskN (N >= 1) at the end of the N-th message.
Status ApplyPskModifier(std::string_view modifier, HandshakePattern& pattern) {
  const std::string quoted = "\"" + std::string(modifier) + "\"";
  if (!modifier.starts_with(kPskModifier)) {
    return Unsupported("unsupported Noise pattern modifier " + quoted + " (supported: pskN)");
  }
  const std::string_view digits = modifier.substr(kPskModifier.size());
  size_t position = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), position);
  const bool leading_zero = digits.size() > 1 && digits.front() == '0';
  if (digits.empty() || leading_zero || error != std::errc() ||
      end != digits.data() + digits.size()) {
    return InvalidArgument("malformed Noise pattern modifier " + quoted);
  }
  if (position > pattern.messages.size()) {
    return InvalidArgument("Noise modifier " + quoted + " names a message the pattern lacks");
  }
  if (position == 0) {
    MessagePattern& first = pattern.messages.front();
    first.insert(first.begin(), Token::kPsk);
  } else {
    pattern.messages[position - 1].push_back(Token::kPsk);
  }
  return Status::Ok();
}

}  // namespace

size_t HandshakePattern::PskCount() const {
  size_t count = 0;
  for (const auto& message : messages) {
    count += static_cast<size_t>(std::count(message.begin(), message.end(), Token::kPsk));
  }
  return count;
}

Result<HandshakePattern> HandshakePatternFromName(std::string_view name) {
  const std::string_view base_name = name.substr(0, BaseNameLength(name));
  const std::vector<BasePattern> table = BasePatterns();
  const auto base = std::find_if(table.begin(), table.end(),
                                 [&](const BasePattern& p) { return p.name == base_name; });
  if (base == table.end()) {
    return Unsupported("unsupported Noise handshake pattern \"" + std::string(name) +
                       "\" (supported: NN, KK, IK, XX, with pskN modifiers)");
  }

  HandshakePattern pattern;
  pattern.name = std::string(name);
  pattern.initiator_premessage = ParseMessagePattern(base->initiator_premessage);
  pattern.responder_premessage = ParseMessagePattern(base->responder_premessage);
  for (std::string_view message : base->messages) {
    pattern.messages.push_back(ParseMessagePattern(message));
  }

  std::string_view modifiers = name.substr(base_name.size());
  std::set<std::string_view> seen;
  while (!modifiers.empty()) {
    const size_t end = modifiers.find(kModifierSeparator);
    const std::string_view modifier = modifiers.substr(0, end);
    if (!seen.insert(modifier).second) {
      return InvalidArgument("Noise pattern \"" + std::string(name) + "\" repeats a modifier");
    }
    INMOST_RETURN_IF_ERROR(ApplyPskModifier(modifier, pattern));
    if (end == std::string_view::npos) break;
    modifiers.remove_prefix(end + 1);
    if (modifiers.empty()) {
      return InvalidArgument("Noise pattern \"" + std::string(name) + "\" ends with '+'");
    }
  }
  return pattern;
}

}  // namespace inmost::noise
