// Fuzzes the LAN beacon parser (daemon/codec/peer/lan_beacon.h) with what anyone on
// the local network can send: any bytes, from a 4- or 16-byte source address. Nothing
// but a beacon sealed with the secret may open; and a beacon sealed from the input's
// port must open for its own side, slot and source only.
// Input: one byte choosing the source size (even: IPv4), then the datagram.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "daemon/codec/peer/lan_beacon.h"
#include "daemon/crypto/secret_bytes.h"

namespace {

namespace peer = inmost::peer;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const inmost::crypto::SecretBytes secret =
      inmost::crypto::SecretBytes::CopyOf(std::array<uint8_t, peer::kBeaconSecretSize>{7, 1, 9});
  const std::array<uint8_t, 16> source_bytes{10, 77, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const std::span<const uint8_t> source(source_bytes.data(), data[0] % 2 == 0 ? 4 : 16);
  const std::span<const uint8_t> datagram(data + 1, size - 1);
  constexpr int64_t kSlot = 2'900'000;

  // Random bytes forge no beacon (a 16-byte tag: a hit would be a finding in itself).
  Check(!peer::OpenBeacon(secret, peer::BeaconSide::kLowerKey, kSlot, source, datagram));

  if (datagram.size() >= 2) {
    const uint16_t port = static_cast<uint16_t>((datagram[0] << 8) | datagram[1]);
    const auto beacon = peer::SealBeacon(secret, peer::BeaconSide::kHigherKey, kSlot, source, port);
    const auto opened =
        peer::OpenBeacon(secret, peer::BeaconSide::kHigherKey, kSlot + 1, source, beacon);
    Check(opened && opened->port == port);
    Check(!peer::OpenBeacon(secret, peer::BeaconSide::kLowerKey, kSlot, source, beacon));
    Check(!peer::OpenBeacon(secret, peer::BeaconSide::kHigherKey, kSlot + 2, source, beacon));
    Check(!peer::OpenBeacon(secret, peer::BeaconSide::kHigherKey, kSlot, source.first(3), beacon));
  }
  return 0;
}
