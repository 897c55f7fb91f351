#include "daemon/crypto/key_pair.h"

#include <sodium.h>

#include "daemon/crypto/wipe.h"

namespace inmost::crypto {

KeyPair KeyPair::Generate() {
  KeyPair kp;
  kp.private_key = SecretBytes::Random(kX25519KeySize);
  crypto_scalarmult_base(kp.public_key.data(), kp.private_key.data());
  WipeCpuScratch();  // The scalar's copies stay on the stack and in registers.
  return kp;
}

Result<KeyPair> KeyPair::FromPrivate(std::span<const uint8_t> private_key) {
  if (private_key.size() != kX25519KeySize) {
    return InvalidArgument("an X25519 private key must be 32 bytes");
  }
  KeyPair kp;
  kp.private_key = SecretBytes::CopyOf(private_key);
  crypto_scalarmult_base(kp.public_key.data(), kp.private_key.data());
  WipeCpuScratch();  // The scalar's copies stay on the stack and in registers.
  return kp;
}

Status X25519(const SecretBytes& private_key, std::span<const uint8_t> public_key,
              SecretBytes& shared) {
  if (private_key.size() != kX25519KeySize || public_key.size() != kX25519KeySize) {
    return InvalidArgument("X25519 keys must be 32 bytes");
  }
  if (shared.size() != kX25519KeySize) shared = SecretBytes(kX25519KeySize);
  const int failed = crypto_scalarmult(shared.data(), private_key.data(), public_key.data());
  WipeCpuScratch();
  if (failed != 0) {
    return AuthenticationFailed("the peer's public key is not a usable X25519 key");
  }
  return Status::Ok();
}

}  // namespace inmost::crypto
