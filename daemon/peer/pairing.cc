#include "daemon/peer/pairing.h"

#include <optional>
#include <string>
#include <utility>

#include "daemon/codec/peer/transport_message.h"
#include "daemon/noise/limits.h"
#include "daemon/peer/address.h"
#include "daemon/peer/hello.h"
#include "daemon/peer/socket_io.h"

namespace inmost::peer {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

noise::HandshakeConfig PairingConfig(noise::Role role, const crypto::KeyPair& identity,
                                     const crypto::SecretBytes& psk) {
  noise::HandshakeConfig config = HelloExchangeConfig(HelloType::kPairing, role, identity);
  config.psks = {&psk};
  return config;
}

// What the joiner makes of the inviter's answer to the hello when it is a refusal frame
// or no frame at all; nullopt for anything else (message 2, to be read).
std::optional<std::pair<JoinerFailure, Status>> RefusalIn(const Result<crypto::Bytes>& answer) {
  if (!answer.ok()) {
    if (answer.status().code() == Code::kUnavailable) {
      return std::pair{JoinerFailure::kHungUp,
                       Unavailable("it hung up without answering as the inviter")};
    }
    return std::pair{JoinerFailure::kFailed, answer.status()};
  }
  if (answer->size() != 2 || (*answer)[0] != kRefusalMarker) return std::nullopt;
  if ((*answer)[1] == static_cast<uint8_t>(PairingRefusal::kBusy)) {
    return std::pair{JoinerFailure::kBusy,
                     Unavailable("the inviter is busy: too many handshakes from this address")};
  }
  return std::pair{JoinerFailure::kRefused, PermissionDenied(std::string(kInviteRefusedMessage))};
}

}  // namespace

crypto::Bytes PairingRefusalFrame(PairingRefusal why) {
  return crypto::Bytes{kRefusalMarker, static_cast<uint8_t>(why)};
}

Result<HelloExchangeStart> StartPairing(const crypto::KeyPair& identity,
                                        const crypto::PublicKey& inviter,
                                        const crypto::SecretBytes& psk) {
  if (psk.size() != noise::kPskSize) return InvalidArgument("an invite secret must be 32 bytes");
  noise::HandshakeConfig config = PairingConfig(noise::Role::kInitiator, identity, psk);
  config.remote_static = inviter;
  // -> e, es, s, ss
  return StartHelloExchange(config, HelloType::kPairing, inviter);
}

Result<noise::TransportKeys> FinishPairing(noise::HandshakeState& state,
                                           std::span<const uint8_t> message2) {
  // <- e, ee, se, psk
  return FinishHelloExchange(state, message2, kWrongSecretMessage);
}

Result<HelloExchangeAnswer> RespondToPairing(const crypto::KeyPair& identity,
                                             const crypto::SecretBytes& psk,
                                             std::span<const uint8_t> message1) {
  if (psk.size() != noise::kPskSize) return InvalidArgument("an invite secret must be 32 bytes");
  // -> e, es, s, ss, then <- e, ee, se, psk
  return AnswerHelloExchange(PairingConfig(noise::Role::kResponder, identity, psk), message1,
                             "a pairing hello did not authenticate");
}

asio::awaitable<Result<std::vector<std::string>>> RunJoinerConversation(
    tcp::socket& socket, wire::FrameDecoder& decoder, const crypto::KeyPair& identity,
    crypto::PublicKey inviter, const crypto::SecretBytes& psk,
    std::vector<std::string> my_addresses, JoinerFailure& failure) {
  failure = JoinerFailure::kFailed;
  auto initiation = StartPairing(identity, inviter, psk);
  if (!initiation.ok()) co_return initiation.status();
  Status sent = co_await WriteFrame(socket, std::move(initiation->hello));
  if (!sent.ok()) {
    // A daemon that is not the inviter may hang up before the hello is even written.
    failure = JoinerFailure::kHungUp;
    co_return Unavailable("it hung up without answering as the inviter");
  }

  auto message2 = co_await ReadFrame(socket, decoder);
  if (auto refusal = RefusalIn(message2)) {
    failure = refusal->first;
    co_return refusal->second;
  }
  auto keys = FinishPairing(initiation->state, *message2);
  if (!keys.ok()) {
    failure = JoinerFailure::kWrongSecret;
    co_return keys.status();
  }

  PeerMessage confirm;
  PairConfirm* pair_confirm = confirm.mutable_pair_confirm();
  for (const auto& address : SanitizeAddresses(my_addresses)) pair_confirm->add_addresses(address);
  auto sealed_confirm = SealPeerMessage(keys->send, confirm);
  if (!sealed_confirm.ok()) co_return sealed_confirm.status();
  sent = co_await WriteFrame(socket, std::move(*sealed_confirm));
  if (!sent.ok()) co_return sent;

  auto welcome_frame = co_await ReadFrame(socket, decoder);
  if (!welcome_frame.ok()) {
    // The inviter aborts without a welcome when its invite was used meanwhile.
    if (welcome_frame.status().code() == Code::kUnavailable) {
      failure = JoinerFailure::kRefused;
      co_return PermissionDenied(std::string(kInviteRefusedMessage));
    }
    co_return welcome_frame.status();
  }
  auto welcome = OpenPeerMessage(keys->receive, *welcome_frame);
  if (!welcome.ok()) co_return welcome.status();
  if (!welcome->has_pair_welcome()) {
    co_return InvalidArgument("the inviter answered the pairing with something else");
  }
  const auto& addresses = welcome->pair_welcome().addresses();
  failure = JoinerFailure::kNone;
  co_return SanitizeAddresses(std::vector<std::string>(addresses.begin(), addresses.end()));
}

asio::awaitable<Status> RunInviterConversation(tcp::socket& socket, wire::FrameDecoder& decoder,
                                               const crypto::KeyPair& identity,
                                               const crypto::SecretBytes& psk,
                                               crypto::Bytes message1, PairingDecision decide) {
  auto response = RespondToPairing(identity, psk, message1);
  if (!response.ok()) co_return response.status();
  Status sent = co_await WriteFrame(socket, std::move(response->message2));
  if (!sent.ok()) co_return sent;

  auto confirm_frame = co_await ReadFrame(socket, decoder);
  if (!confirm_frame.ok()) {
    // A joiner whose secret differs finds out from message 2 and hangs up.
    if (confirm_frame.status().code() == Code::kUnavailable) {
      co_return PermissionDenied(std::string(kJoinerLacksSecret));
    }
    co_return confirm_frame.status();
  }
  auto confirm = OpenPeerMessage(response->keys.receive, *confirm_frame);
  if (!confirm.ok()) {
    if (confirm.status().code() == Code::kAuthenticationFailed) {
      co_return PermissionDenied(std::string(kJoinerLacksSecret));
    }
    co_return confirm.status();
  }
  if (!confirm->has_pair_confirm()) {
    co_return InvalidArgument("the joiner sent something other than pair_confirm");
  }
  const auto& addresses = confirm->pair_confirm().addresses();
  core::Partner partner;
  partner.static_key = response->initiator_key;
  partner.addresses =
      SanitizeAddresses(std::vector<std::string>(addresses.begin(), addresses.end()));
  auto welcome_addresses = decide(partner);
  if (!welcome_addresses.ok()) co_return welcome_addresses.status();

  PeerMessage welcome;
  PairWelcome* pair_welcome = welcome.mutable_pair_welcome();
  for (const auto& address : *welcome_addresses) pair_welcome->add_addresses(address);
  auto sealed_welcome = SealPeerMessage(response->keys.send, welcome);
  if (!sealed_welcome.ok()) co_return sealed_welcome.status();
  co_return co_await WriteFrame(socket, std::move(*sealed_welcome));
}

}  // namespace inmost::peer
