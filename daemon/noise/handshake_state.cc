#include "daemon/noise/handshake_state.h"

#include <sodium.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "daemon/noise/handshake_pattern.h"
#include "daemon/noise/protocol_name.h"
#include "daemon/noise/symmetric_state.h"

namespace inmost::noise {
namespace {

using crypto::Bytes;
using crypto::KeyPair;
using crypto::PublicKey;
using crypto::SecretBytes;

enum class Phase { kInProgress, kFinished, kSplit, kFailed };

// Which key each side contributes to a DH token: the first letter is the initiator's.
enum class KeyKind { kEphemeral, kStatic };
struct DhKeys {
  KeyKind initiator;
  KeyKind responder;
};

DhKeys DhKeysOf(Token token) {
  switch (token) {
    case Token::kEE:
      return {KeyKind::kEphemeral, KeyKind::kEphemeral};
    case Token::kES:
      return {KeyKind::kEphemeral, KeyKind::kStatic};
    case Token::kSE:
      return {KeyKind::kStatic, KeyKind::kEphemeral};
    default:  // Only DH tokens reach here, so this is kSS.
      return {KeyKind::kStatic, KeyKind::kStatic};
  }
}

bool Contains(const MessagePattern& tokens, Token token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

bool IsInitiatorMessage(size_t index) {
  return index % 2 == 0;
}

// Whether `role` sends `token` in any of its messages.
bool RoleSends(const HandshakePattern& pattern, Role role, Token token) {
  for (size_t i = 0; i < pattern.messages.size(); ++i) {
    if (IsInitiatorMessage(i) == (role == Role::kInitiator) &&
        Contains(pattern.messages[i], token)) {
      return true;
    }
  }
  return false;
}

KeyPair CopyKeyPair(const KeyPair& key_pair) {
  return KeyPair{SecretBytes::CopyOf(key_pair.private_key.span()), key_pair.public_key};
}

std::string Quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// Checks that `config` gives exactly the keys `pattern` needs: a missing key would fail
// mid-handshake, and an unused one suggests the caller expects a check that never happens.
Status CheckConfig(const HandshakePattern& pattern, const HandshakeConfig& config) {
  const std::string name = Quoted(config.protocol_name);
  const bool initiator = config.role == Role::kInitiator;
  const MessagePattern& local_pre =
      initiator ? pattern.initiator_premessage : pattern.responder_premessage;
  const MessagePattern& remote_pre =
      initiator ? pattern.responder_premessage : pattern.initiator_premessage;
  if (Contains(local_pre, Token::kE) || Contains(remote_pre, Token::kE)) {
    return Unsupported("Noise protocol " + name + " pre-shares an ephemeral key; not supported");
  }

  const bool needs_local_static =
      Contains(local_pre, Token::kS) || RoleSends(pattern, config.role, Token::kS);
  if (needs_local_static && config.local_static == nullptr) {
    return InvalidArgument("Noise protocol " + name + " needs this side's static key");
  }
  if (!needs_local_static && config.local_static != nullptr) {
    return InvalidArgument("Noise protocol " + name + " uses no static key for this side");
  }
  if (config.local_static != nullptr && config.local_static->private_key.size() != kDhLen) {
    return InvalidArgument("the static private key must be 32 bytes");
  }

  const bool needs_remote_static = Contains(remote_pre, Token::kS);
  if (needs_remote_static && !config.remote_static.has_value()) {
    return InvalidArgument("Noise protocol " + name + " needs the peer's static key in advance");
  }
  if (!needs_remote_static && config.remote_static.has_value()) {
    return InvalidArgument("Noise protocol " + name +
                           " does not take the peer's static key in advance");
  }

  if (config.psks.size() != pattern.PskCount()) {
    return InvalidArgument("Noise protocol " + name + " needs " +
                           std::to_string(pattern.PskCount()) + " pre-shared key(s), " +
                           std::to_string(config.psks.size()) + " given");
  }
  for (const SecretBytes* psk : config.psks) {
    if (psk == nullptr || psk->size() != kPskSize) {
      return InvalidArgument("a Noise pre-shared key must be 32 bytes");
    }
  }
  if (config.fixed_ephemeral != nullptr && config.fixed_ephemeral->private_key.size() != kDhLen) {
    return InvalidArgument("the fixed ephemeral private key must be 32 bytes");
  }
  return Status::Ok();
}

// Consumes a handshake message front to back.
class MessageReader {
 public:
  explicit MessageReader(std::span<const uint8_t> message) : rest_(message) {}

  Result<std::span<const uint8_t>> Take(size_t size) {
    if (rest_.size() < size) {
      return InvalidArgument(
          "handshake message too short: it is truncated or not a handshake "
          "message for this protocol");
    }
    const auto taken = rest_.first(size);
    rest_ = rest_.subspan(size);
    return taken;
  }
  std::span<const uint8_t> Rest() const { return rest_; }

 private:
  std::span<const uint8_t> rest_;
};

// Handshake-level wording for an AEAD failure: what a user can check.
Status HandshakeError(const Status& status) {
  if (status.code() != Code::kAuthenticationFailed) return status;
  return AuthenticationFailed(
      "handshake message failed authentication: the peer has a different static key or "
      "pre-shared key than expected, or the message was altered, replayed or reordered");
}

Status MovedFrom() {
  return FailedPrecondition("this handshake state was moved away");
}

}  // namespace

struct HandshakeState::Impl {
  Impl(Protocol protocol, Role role)
      : pattern(std::move(protocol.pattern)),
        role(role),
        is_psk(pattern.IsPsk()),
        symmetric(protocol.name, protocol.hash) {}

  bool IsInitiator() const { return role == Role::kInitiator; }
  bool IsMyTurn() const {
    return phase == Phase::kInProgress && IsInitiatorMessage(next_message) == IsInitiator();
  }

  // Fails unless the handshake is running and it is this side's turn to write (or read).
  Status CheckTurn(bool writing) const {
    switch (phase) {
      case Phase::kFailed:
        return FailedPrecondition("the handshake failed earlier and cannot be continued");
      case Phase::kFinished:
      case Phase::kSplit:
        return FailedPrecondition("the handshake is already finished");
      case Phase::kInProgress:
        break;
    }
    if (IsMyTurn() != writing) {
      return FailedPrecondition(writing ? "it is the peer's turn to send a handshake message"
                                        : "it is this side's turn to send a handshake message");
    }
    return Status::Ok();
  }

  // Spec 5.3 Initialize: MixHash of each pre-message public key, the initiator's first.
  void MixPremessages() {
    for (Token token : pattern.initiator_premessage) {
      if (token == Token::kS) symmetric.MixHash(IsInitiator() ? s->public_key : *rs);
    }
    for (Token token : pattern.responder_premessage) {
      if (token == Token::kS) symmetric.MixHash(IsInitiator() ? *rs : s->public_key);
    }
  }

  // The size WriteMessage will produce, known before anything is mixed so that an oversize
  // payload fails without disturbing the state. Tracks when a key (and so a tag) appears.
  size_t MessageSize(const MessagePattern& tokens, size_t payload_size) const {
    bool has_key = symmetric.HasKey();
    size_t size = 0;
    for (Token token : tokens) {
      switch (token) {
        case Token::kE:
          size += kDhLen;
          has_key = has_key || is_psk;
          break;
        case Token::kS:
          size += kDhLen + (has_key ? kTagSize : 0);
          break;
        default:  // DH tokens and psk call MixKey.
          has_key = true;
          break;
      }
    }
    return size + payload_size + (has_key ? kTagSize : 0);
  }

  // A DH token: MixKey(DH(local key, remote key)), the keys picked by role (spec 5.3).
  Status MixDh(Token token) {
    const DhKeys keys = DhKeysOf(token);
    const KeyKind local_kind = IsInitiator() ? keys.initiator : keys.responder;
    const KeyKind remote_kind = IsInitiator() ? keys.responder : keys.initiator;
    const std::optional<KeyPair>& local = local_kind == KeyKind::kEphemeral ? e : s;
    const std::optional<PublicKey>& remote = remote_kind == KeyKind::kEphemeral ? re : rs;
    if (!local.has_value() || !remote.has_value()) {
      return FailedPrecondition("Noise pattern uses a key before it is known");
    }
    SecretBytes shared(kDhLen);
    INMOST_RETURN_IF_ERROR(crypto::X25519(local->private_key, *remote, shared));
    symmetric.MixKey(shared.span());
    return Status::Ok();
  }

  // psk: MixKeyAndHash(next psk) (spec 9.2).
  Status MixPsk() {
    if (next_psk >= psks.size()) return FailedPrecondition("Noise pattern has too few psks");
    symmetric.MixKeyAndHash(psks[next_psk++].span());
    return Status::Ok();
  }

  Status WriteToken(Token token, Bytes& message) {
    switch (token) {
      case Token::kE: {
        // e: a new ephemeral key pair; the public key goes out in clear and into h, and in
        // PSK handshakes also into the key, so psk-derived keys always meet fresh randomness.
        e = fixed_e.has_value() ? CopyKeyPair(*fixed_e) : KeyPair::Generate();
        message.insert(message.end(), e->public_key.begin(), e->public_key.end());
        symmetric.MixHash(e->public_key);
        if (is_psk) symmetric.MixKey(e->public_key);
        return Status::Ok();
      }
      case Token::kS: {
        // s: EncryptAndHash(s.public_key), encrypted once any key has been mixed in.
        if (!s.has_value()) return FailedPrecondition("Noise pattern sends a missing static key");
        INMOST_ASSIGN_OR_RETURN(Bytes encrypted, symmetric.EncryptAndHash(s->public_key));
        message.insert(message.end(), encrypted.begin(), encrypted.end());
        return Status::Ok();
      }
      case Token::kPsk:
        return MixPsk();
      case Token::kEE:
      case Token::kES:
      case Token::kSE:
      case Token::kSS:
        return MixDh(token);
    }
    return FailedPrecondition("unknown Noise token");  // Unreachable: the switch is complete.
  }

  Status ReadToken(Token token, MessageReader& reader) {
    switch (token) {
      case Token::kE: {
        // e: re = the next DHLEN bytes; MixHash(re), and MixKey(re) in PSK handshakes.
        INMOST_ASSIGN_OR_RETURN(std::span<const uint8_t> bytes, reader.Take(kDhLen));
        re.emplace();
        std::copy(bytes.begin(), bytes.end(), re->begin());
        symmetric.MixHash(*re);
        if (is_psk) symmetric.MixKey(*re);
        return Status::Ok();
      }
      case Token::kS: {
        // s: rs = DecryptAndHash(next DHLEN bytes, plus 16 for the tag once a key exists).
        const size_t size = kDhLen + (symmetric.HasKey() ? kTagSize : 0);
        INMOST_ASSIGN_OR_RETURN(std::span<const uint8_t> bytes, reader.Take(size));
        Result<Bytes> key = symmetric.DecryptAndHash(bytes);
        if (!key.ok()) return HandshakeError(key.status());
        rs.emplace();
        std::copy(key->begin(), key->end(), rs->begin());
        return Status::Ok();
      }
      case Token::kPsk:
        return MixPsk();
      case Token::kEE:
      case Token::kES:
      case Token::kSE:
      case Token::kSS:
        return MixDh(token);
    }
    return FailedPrecondition("unknown Noise token");  // Unreachable: the switch is complete.
  }

  Result<Bytes> Write(std::span<const uint8_t> payload) {
    Bytes message;
    for (Token token : pattern.messages[next_message]) {
      INMOST_RETURN_IF_ERROR(WriteToken(token, message));
    }
    INMOST_ASSIGN_OR_RETURN(Bytes encrypted, symmetric.EncryptAndHash(payload));
    message.insert(message.end(), encrypted.begin(), encrypted.end());
    return message;
  }

  Result<Bytes> Read(std::span<const uint8_t> message) {
    INMOST_RETURN_IF_ERROR(CheckTurn(/*writing=*/false));
    if (message.size() > kMaxMessageSize) {
      return ResourceExhausted("handshake message too large: a Noise message may be at most " +
                               std::to_string(kMaxMessageSize) + " bytes");
    }
    MessageReader reader(message);
    for (Token token : pattern.messages[next_message]) {
      INMOST_RETURN_IF_ERROR(ReadToken(token, reader));
    }
    Result<Bytes> payload = symmetric.DecryptAndHash(reader.Rest());
    if (!payload.ok()) return HandshakeError(payload.status());
    return payload;
  }

  // Moves to the next message; after the last one the keys only the handshake needed go.
  void FinishMessage() {
    ++next_message;
    if (next_message < pattern.messages.size()) return;
    phase = Phase::kFinished;
    e.reset();
    fixed_e.reset();
    s.reset();
    psks.clear();
  }

  HandshakePattern pattern;
  Role role;
  bool is_psk;
  SymmetricState symmetric;
  std::optional<KeyPair> s;        // Local static key pair.
  std::optional<KeyPair> e;        // Local ephemeral key pair, once generated.
  std::optional<KeyPair> fixed_e;  // Tests only: the ephemeral key to use.
  std::optional<PublicKey> rs;     // Remote static public key.
  std::optional<PublicKey> re;     // Remote ephemeral public key.
  std::vector<SecretBytes> psks;
  size_t next_psk = 0;
  size_t next_message = 0;
  Phase phase = Phase::kInProgress;
};

HandshakeState::HandshakeState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HandshakeState::HandshakeState(HandshakeState&&) noexcept = default;
HandshakeState& HandshakeState::operator=(HandshakeState&&) noexcept = default;
HandshakeState::~HandshakeState() = default;

Result<HandshakeState> HandshakeState::Create(const HandshakeConfig& config) {
  if (sodium_init() < 0) return FailedPrecondition("libsodium could not be initialized");
  INMOST_ASSIGN_OR_RETURN(Protocol protocol, ParseProtocolName(config.protocol_name));
  INMOST_RETURN_IF_ERROR(CheckConfig(protocol.pattern, config));

  auto impl = std::make_unique<Impl>(std::move(protocol), config.role);
  if (config.local_static != nullptr) impl->s = CopyKeyPair(*config.local_static);
  if (config.fixed_ephemeral != nullptr) impl->fixed_e = CopyKeyPair(*config.fixed_ephemeral);
  impl->rs = config.remote_static;
  for (const SecretBytes* psk : config.psks) impl->psks.push_back(SecretBytes::CopyOf(psk->span()));

  impl->symmetric.MixHash(config.prologue);
  impl->MixPremessages();
  return HandshakeState(std::move(impl));
}

Result<Bytes> HandshakeState::WriteMessage(std::span<const uint8_t> payload) {
  if (!impl_) return MovedFrom();
  Impl& state = *impl_;
  INMOST_RETURN_IF_ERROR(state.CheckTurn(/*writing=*/true));
  const size_t overhead = state.MessageSize(state.pattern.messages[state.next_message], 0);
  if (payload.size() > kMaxMessageSize - overhead) {
    return ResourceExhausted("handshake payload too large: with " + std::to_string(overhead) +
                             " bytes of overhead it may be at most " +
                             std::to_string(kMaxMessageSize - overhead) + " bytes");
  }
  Result<Bytes> message = state.Write(payload);
  if (!message.ok()) {
    state.phase = Phase::kFailed;
    return message.status();
  }
  state.FinishMessage();
  return message;
}

Result<Bytes> HandshakeState::ReadMessage(std::span<const uint8_t> message) {
  if (!impl_) return MovedFrom();
  Result<Bytes> payload = impl_->Read(message);
  if (!payload.ok()) {
    // A handshake that saw one bad message is never continued (spec 5.3: abort).
    impl_->phase = Phase::kFailed;
    return payload.status();
  }
  impl_->FinishMessage();
  return payload;
}

bool HandshakeState::IsFinished() const {
  return impl_ && (impl_->phase == Phase::kFinished || impl_->phase == Phase::kSplit);
}

bool HandshakeState::IsMyTurnToWrite() const {
  return impl_ && impl_->IsMyTurn();
}

std::span<const uint8_t> HandshakeState::HandshakeHash() const {
  if (!impl_) return {};
  return impl_->symmetric.GetHandshakeHash();
}

std::optional<PublicKey> HandshakeState::remote_static() const {
  if (!impl_) return std::nullopt;  // A moved-from state knows no key.
  return impl_->rs;
}

Result<TransportKeys> HandshakeState::Split() {
  if (!impl_) return MovedFrom();
  switch (impl_->phase) {
    case Phase::kFailed:
      return FailedPrecondition("the handshake failed; there are no transport keys");
    case Phase::kInProgress:
      return FailedPrecondition("the handshake is not finished yet");
    case Phase::kSplit:
      // A second copy of the keys would reuse nonces.
      return FailedPrecondition("the transport keys were already taken from this handshake");
    case Phase::kFinished:
      break;
  }
  auto [initiator_to_responder, responder_to_initiator] = impl_->symmetric.Split();
  impl_->phase = Phase::kSplit;
  if (impl_->IsInitiator()) {
    return TransportKeys{std::move(initiator_to_responder), std::move(responder_to_initiator)};
  }
  return TransportKeys{std::move(responder_to_initiator), std::move(initiator_to_responder)};
}

}  // namespace inmost::noise
