#include "daemon/codec/peer/transport_message.h"

#include <sodium.h>

#include <string>

namespace inmost::peer {

Result<crypto::Bytes> SealPeerMessage(noise::CipherState& send, const PeerMessage& message) {
  const size_t size = message.ByteSizeLong();
  if (size > kMaxPeerMessageSize) {
    return ResourceExhausted("a peer message of " + std::to_string(size) +
                             " bytes does not fit one transport message");
  }
  crypto::Bytes plaintext(size);
  if (!message.SerializeToArray(plaintext.data(), static_cast<int>(plaintext.size()))) {
    return InvalidArgument("the peer message cannot be serialized");
  }
  auto ciphertext = send.EncryptWithAd({}, plaintext);
  sodium_memzero(plaintext.data(), plaintext.size());
  return ciphertext;
}

Result<PeerMessage> OpenPeerMessage(noise::CipherState& receive,
                                    std::span<const uint8_t> ciphertext) {
  auto plaintext = receive.DecryptWithAd({}, ciphertext);
  if (!plaintext.ok()) return AuthenticationFailed("a transport message failed to decrypt");
  PeerMessage message;
  const bool parsed =
      message.ParseFromArray(plaintext->data(), static_cast<int>(plaintext->size()));
  sodium_memzero(plaintext->data(), plaintext->size());
  if (!parsed) return Corruption("a transport message is not a peer message");
  return message;
}

}  // namespace inmost::peer
