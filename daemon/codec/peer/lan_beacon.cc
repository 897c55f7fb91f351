#include "daemon/codec/peer/lan_beacon.h"

#include <sodium.h>

#include <algorithm>
#include <string_view>

#include "daemon/crypto/hash.h"

namespace inmost::peer {

namespace {

constexpr std::string_view kSecretLabel = "inmost lan beacon secret v1";
constexpr std::string_view kKeyLabel = "inmost lan beacon key v1";
constexpr size_t kPortSize = 2;
static_assert(kBeaconNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kBeaconSize ==
              kBeaconNonceSize + kPortSize + crypto_aead_xchacha20poly1305_ietf_ABYTES);

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// The key of one side's beacons in one slot.
crypto::SecretBytes SlotKey(const crypto::SecretBytes& secret, BeaconSide side, int64_t slot) {
  std::array<uint8_t, 9> slot_and_side{};
  for (int i = 0; i < 8; ++i) {
    slot_and_side[i] = static_cast<uint8_t>(static_cast<uint64_t>(slot) >> (56 - 8 * i));
  }
  slot_and_side[8] = static_cast<uint8_t>(side);
  crypto::SecretBytes key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  crypto::Blake2b(key.span(), {Bytes(kKeyLabel), secret.span(), slot_and_side});
  return key;
}

}  // namespace

BeaconSide SideOf(const crypto::PublicKey& key, const crypto::PublicKey& other) {
  return key < other ? BeaconSide::kLowerKey : BeaconSide::kHigherKey;
}

Result<crypto::SecretBytes> BeaconSecret(const crypto::KeyPair& own,
                                         const crypto::PublicKey& partner) {
  crypto::SecretBytes shared(crypto::kX25519KeySize);
  Status dh = crypto::X25519(own.private_key, partner, shared);
  if (!dh.ok()) return dh;
  const bool own_lower = own.public_key < partner;
  const crypto::PublicKey& lower = own_lower ? own.public_key : partner;
  const crypto::PublicKey& higher = own_lower ? partner : own.public_key;
  crypto::SecretBytes secret(kBeaconSecretSize);
  crypto::Blake2b(secret.span(), {Bytes(kSecretLabel), shared.span(), lower, higher});
  return secret;
}

int64_t BeaconSlotAt(int64_t unix_ms) {
  const int64_t slot_ms = std::chrono::milliseconds(kBeaconSlot).count();
  return unix_ms >= 0 ? unix_ms / slot_ms : (unix_ms - slot_ms + 1) / slot_ms;
}

BeaconBytes SealBeacon(const crypto::SecretBytes& secret, BeaconSide side, int64_t slot,
                       std::span<const uint8_t> source, uint16_t port) {
  BeaconBytes beacon{};
  randombytes_buf(beacon.data(), kBeaconNonceSize);
  const std::array<uint8_t, kPortSize> plain{static_cast<uint8_t>(port >> 8),
                                             static_cast<uint8_t>(port)};
  const crypto::SecretBytes key = SlotKey(secret, side, slot);
  crypto_aead_xchacha20poly1305_ietf_encrypt(beacon.data() + kBeaconNonceSize, nullptr,
                                             plain.data(), plain.size(), source.data(),
                                             source.size(), nullptr, beacon.data(), key.data());
  return beacon;
}

std::optional<Beacon> OpenBeacon(const crypto::SecretBytes& secret, BeaconSide side, int64_t slot,
                                 std::span<const uint8_t> source, std::span<const uint8_t> bytes) {
  if (bytes.size() != kBeaconSize || secret.size() != kBeaconSecretSize) return std::nullopt;
  for (const int64_t candidate : {slot, slot - 1, slot + 1}) {
    const crypto::SecretBytes key = SlotKey(secret, side, candidate);
    std::array<uint8_t, kPortSize> plain{};
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), nullptr, nullptr,
                                                   bytes.data() + kBeaconNonceSize,
                                                   bytes.size() - kBeaconNonceSize, source.data(),
                                                   source.size(), bytes.data(), key.data()) == 0) {
      Beacon beacon;
      beacon.port = static_cast<uint16_t>((plain[0] << 8) | plain[1]);
      std::copy_n(bytes.begin(), kBeaconNonceSize, beacon.nonce.begin());
      return beacon;
    }
  }
  return std::nullopt;
}

}  // namespace inmost::peer
