#include "daemon/peer/session_hello.h"

#include <sodium.h>

#include <algorithm>
#include <string>

#include "daemon/crypto/hash.h"

namespace inmost::peer {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr uint64_t kTai64Base = uint64_t{1} << 62;  // TAI64 label of 1970-01-01.

std::array<uint8_t, kMac2Size> ComputeMac2(const crypto::SecretBytes& key, uint8_t type_byte,
                                           std::span<const uint8_t> stamp_and_message) {
  std::array<uint8_t, kMac2Size> mac{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), mac.size());
  crypto_generichash_update(&state, &type_byte, 1);
  crypto_generichash_update(&state, stamp_and_message.data(), stamp_and_message.size());
  crypto_generichash_final(&state, mac.data(), mac.size());
  sodium_memzero(&state, sizeof state);
  return mac;
}

crypto::SecretBytes HelloKey(std::span<const uint8_t> shared, const crypto::PublicKey& initiator,
                             const crypto::PublicKey& responder) {
  crypto::SecretBytes key(kHelloKeySize);
  crypto::Blake2b(key.span(), {crypto::AsBytes(kHelloKeyLabel), shared, initiator, responder});
  return key;
}

}  // namespace

HelloStamp StampAt(int64_t unix_ns) {
  const uint64_t seconds = kTai64Base + static_cast<uint64_t>(unix_ns / kNanosPerSecond);
  const auto nanos = static_cast<uint32_t>(unix_ns % kNanosPerSecond);
  HelloStamp stamp{};
  for (int i = 0; i < 8; ++i) stamp[i] = static_cast<uint8_t>(seconds >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) stamp[8 + i] = static_cast<uint8_t>(nanos >> (24 - 8 * i));
  return stamp;
}

Result<HelloKeys> HelloKeys::Derive(const crypto::KeyPair& identity,
                                    const crypto::PublicKey& partner) {
  crypto::SecretBytes shared(crypto::kX25519KeySize);
  if (!crypto::X25519(identity.private_key, partner, shared).ok()) {
    return InvalidArgument("the partner's public key is not usable (a low-order point)");
  }
  HelloKeys keys;
  keys.to_partner = HelloKey(shared.span(), identity.public_key, partner);
  keys.from_partner = HelloKey(shared.span(), partner, identity.public_key);
  return keys;
}

crypto::Bytes SealSessionHello(uint8_t type_byte, const HelloStamp& stamp,
                               std::span<const uint8_t> message1, const crypto::SecretBytes& key) {
  crypto::Bytes inner;
  inner.reserve(kHelloStampSize + message1.size() + kMac2Size);
  inner.insert(inner.end(), stamp.begin(), stamp.end());
  inner.insert(inner.end(), message1.begin(), message1.end());
  const auto mac = ComputeMac2(key, type_byte, inner);
  inner.insert(inner.end(), mac.begin(), mac.end());
  return inner;
}

Result<SessionHello> OpenSessionHello(uint8_t type_byte, std::span<const uint8_t> inner,
                                      const crypto::SecretBytes& key) {
  if (inner.size() < kHelloStampSize + kMac2Size) return InvalidArgument("session hello too short");
  const auto covered = inner.first(inner.size() - kMac2Size);
  const auto expected = ComputeMac2(key, type_byte, covered);
  if (sodium_memcmp(expected.data(), inner.last(kMac2Size).data(), kMac2Size) != 0) {
    return PermissionDenied("not from the partner (bad mac2)");
  }
  SessionHello hello;
  std::copy_n(covered.begin(), kHelloStampSize, hello.stamp.begin());
  hello.message1.assign(covered.begin() + kHelloStampSize, covered.end());
  return hello;
}

HelloStamp HelloStamps::Next(int64_t unix_ms) {
  last_ns_ = std::max(unix_ms * kNanosPerMilli, last_ns_ + 1);
  return StampAt(last_ns_);
}

bool ReplayWindow::AcceptIfNewer(const HelloStamp& stamp) {
  if (newest_ &&
      !std::lexicographical_compare(newest_->begin(), newest_->end(), stamp.begin(), stamp.end())) {
    return false;
  }
  newest_ = stamp;
  return true;
}

}  // namespace inmost::peer
