// Fuzzes what an authenticated but hostile partner can send after the handshake: a
// stream of PeerMessage plaintexts, each sealed in a transport message and opened as
// the session opens it, then the envelope items handled as the recipient handles
// them: offers kept by envelope id, a released key tried with OpenBody on the
// offer's ciphertext and commitment, an answer's question date parsed.
// Input: repeatedly a 2-byte big-endian length, then that many plaintext bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <span>
#include <string>
#include <utility>

#include "daemon/codec/core/question_of_the_day.h"
#include "daemon/codec/peer/transport_message.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/envelope_seal.h"
#include "daemon/crypto/secret_bytes.h"

namespace {

using inmost::Code;
namespace crypto = inmost::crypto;
namespace peer = inmost::peer;

void Check(bool condition) {
  if (!condition) std::abort();
}

// A fixed transport key (never used for anything real): both directions share it.
crypto::SecretBytes TransportKey() {
  uint8_t key[inmost::noise::kKeySize];
  for (size_t i = 0; i < sizeof key; ++i) key[i] = static_cast<uint8_t>(0x80 + i);
  return crypto::SecretBytes::CopyOf(std::span<const uint8_t>(key, sizeof key));
}

class Recipient {
 public:
  void OnMessage(const peer::PeerMessage& message) {
    if (message.kind_case() != peer::PeerMessage::kDeliver) return;
    const peer::Deliver& item = message.deliver();
    if (item.has_offer()) OnOffer(item.offer());
    if (item.has_key_release()) OnKeyRelease(item.key_release());
    if (item.has_retract()) offers_.erase(item.retract().envelope_id());
  }

 private:
  void OnOffer(const peer::EnvelopeOffer& offer) {
    if (!offer.question_date().empty()) {
      auto day = inmost::core::ParseUtcDate(offer.question_date());
      if (day.ok()) Check(inmost::core::FormatUtcDate(*day) == offer.question_date());
    }
    if (offers_.size() < 64) offers_.emplace(offer.envelope_id(), offer);
  }

  void OnKeyRelease(const peer::KeyRelease& release) {
    auto it = offers_.find(release.envelope_id());
    if (it == offers_.end()) return;
    const peer::EnvelopeOffer& offer = it->second;
    auto body = crypto::OpenBody(offer.envelope_id(), crypto::AsBytes(release.key()),
                                 offer.ciphertext(), offer.commitment());
    if (body.ok()) {
      // Only the committed body opens: the commitment binds key and body.
      Check(crypto::Commitment(offer.envelope_id(), crypto::AsBytes(release.key()), *body) ==
            offer.commitment());
    } else {
      Check(body.status().code() == Code::kAuthenticationFailed);
    }
    offers_.erase(it);
  }

  std::map<std::string, peer::EnvelopeOffer> offers_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> input(data, size);
  inmost::noise::CipherState send(TransportKey());
  inmost::noise::CipherState receive(TransportKey());
  Recipient recipient;
  while (input.size() >= 2) {
    const size_t length = std::min<size_t>(size_t{input[0]} << 8 | input[1], input.size() - 2);
    const auto plaintext = input.subspan(2, length);
    input = input.subspan(2 + length);
    if (plaintext.size() > peer::kMaxPeerMessageSize) continue;

    auto ciphertext = send.EncryptWithAd({}, plaintext);
    Check(ciphertext.ok());
    // A transport message changed on the way never opens, and costs nothing.
    crypto::Bytes tampered = *ciphertext;
    tampered[plaintext.size() % tampered.size()] ^= 0x01;
    auto forged = peer::OpenPeerMessage(receive, tampered);
    Check(!forged.ok() && forged.status().code() == Code::kAuthenticationFailed);

    auto message = peer::OpenPeerMessage(receive, *ciphertext);
    if (!message.ok()) {
      Check(message.status().code() == Code::kCorruption);
      continue;
    }
    recipient.OnMessage(*message);
  }
  return 0;
}
