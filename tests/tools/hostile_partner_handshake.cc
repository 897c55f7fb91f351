// The hostile partner's session handshake, kept in one place: it is the daemon's own
// (peer/session_handshake.h) run over a blocking socket, so when that handshake
// changes only this file follows. It must never weaken the handshake it imitates.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "daemon/peer/session_handshake.h"
#include "tests/tools/hostile_partner_session.h"

namespace inmost::hostile {
namespace {

constexpr int kHandshakeTimeoutMs = 10000;

Status WriteAll(int fd, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(std::string("cannot write the hello: ") + std::strerror(errno));
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<crypto::Bytes> ReadOneFrame(int fd, wire::FrameDecoder& decoder) {
  for (;;) {
    auto next = decoder.Next();
    if (!next.ok()) return next.status();
    if (next->has_value()) return std::move(**next);
    pollfd want{fd, POLLIN, 0};
    const int ready = ::poll(&want, 1, kHandshakeTimeoutMs);
    if (ready == 0) return Unavailable("the partner did not answer the hello");
    if (ready < 0 && errno == EINTR) continue;
    uint8_t buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unavailable("the partner closed the connection during the handshake");
    decoder.Feed(std::span<const uint8_t>(buffer, static_cast<size_t>(n)));
  }
}

}  // namespace

Result<noise::TransportKeys> HandshakeAsInitiator(int fd, const crypto::KeyPair& identity,
                                                  const crypto::PublicKey& partner) {
  // -> e, es, ss (in the hello), stamped now: newer than any hello the real daemon sent.
  auto hello_keys = peer::HelloKeys::Derive(identity, partner);
  if (!hello_keys.ok()) return hello_keys.status();
  peer::HelloStamps stamps;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto initiation =
      peer::StartSessionHandshake(identity, partner, *hello_keys, stamps.Next(now_ms));
  if (!initiation.ok()) return initiation.status();
  auto frame = wire::EncodeFrame(initiation->hello);
  if (!frame.ok()) return frame.status();
  Status sent = WriteAll(fd, *frame);
  if (!sent.ok()) return sent;
  // <- e, ee, se
  wire::FrameDecoder decoder;
  auto message2 = ReadOneFrame(fd, decoder);
  if (!message2.ok()) return message2.status();
  if (decoder.buffered() != 0) return Corruption("the partner sent more than message 2");
  return peer::FinishSessionHandshake(initiation->state, *message2);
}

}  // namespace inmost::hostile
