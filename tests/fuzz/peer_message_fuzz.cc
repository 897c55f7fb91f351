// Fuzzes what an authenticated but hostile partner can send after the handshake: a
// stream of PeerMessage plaintexts, each sealed in a transport message and opened as
// the session opens it, then handed to the real recipient: the core of a daemon
// (conversation, envelopes, file transfers, nudges, ...) wired as Daemon wires it,
// behind a fake PartnerChannel (tests/unit/core_fixture.h), paired with a second core
// and with both streams open. The recipient must neither crash nor stop working:
// after the stream its store is readable and its history answers.
// Input: repeatedly a 2-byte big-endian length, then that many plaintext bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "daemon/codec/peer/transport_message.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/secret_bytes.h"
#include "tests/unit/core_fixture.h"

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

// Messages per input that reach the core: each costs store writes.
constexpr int kMaxMessages = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> input(data, size);
  inmost::noise::CipherState send(TransportKey());
  inmost::noise::CipherState receive(TransportKey());
  // "a" is the partner whose keys the fuzzer holds; "b" the daemon it talks to.
  inmost::test::CorePair pair;
  Check(pair.Open().ok());
  pair.LinkUp();
  inmost::test::CoreSide& recipient = pair.b();
  int delivered = 0;
  while (input.size() >= 2 && delivered < kMaxMessages) {
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
      // The session closes on it: nothing after it arrives.
      Check(message.status().code() == Code::kCorruption);
      break;
    }
    recipient.Receive(*message);
    recipient.RunUntilIdle();
    recipient.channel().Drop();  // What it answers is lost with the session.
    ++delivered;
  }
  // The recipient still works: its state matches its disk and its history reads.
  Check(recipient->conversation.Ready().ok());
  inmost::control::Request request;
  request.mutable_history()->set_limit(1000);
  Check(recipient.Call(request).ok());
  return 0;
}
