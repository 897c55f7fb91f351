#include "daemon/codec/tor/safe_cookie.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace inmost::tor {

namespace {

// The HMAC keys, from control-spec 3.24 (AUTHCHALLENGE).
constexpr std::string_view kServerToControllerKey =
    "Tor safe cookie authentication server-to-controller hash";
constexpr std::string_view kControllerToServerKey =
    "Tor safe cookie authentication controller-to-server hash";

// Closes a file descriptor when the read is over.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status CannotRead(const std::string& path, int error) {
  const std::string what = "cannot read tor's cookie file " + path + ": " + std::strerror(error);
  if (error == ENOENT) return NotFound(what + " (is tor running, with CookieAuthentication 1?)");
  if (error == EACCES || error == EPERM) {
    return PermissionDenied(what + " (this user needs read access to it)");
  }
  return IoError(what);
}

}  // namespace

Result<crypto::SecretBytes> ReadCookieFile(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return CannotRead(path, errno);
  // One byte more than a cookie, to notice a longer file.
  crypto::SecretBytes buffer(kCookieBytes + 1);
  size_t total = 0;
  while (total < buffer.size()) {
    const ssize_t n = ::read(fd.get(), buffer.data() + total, buffer.size() - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return CannotRead(path, errno);
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  if (total != kCookieBytes) {
    return Corruption("tor's cookie file " + path + " does not hold exactly " +
                      std::to_string(kCookieBytes) + " bytes");
  }
  return crypto::SecretBytes::CopyOf(buffer.span().first(kCookieBytes));
}

crypto::SecretBytes SafeCookieProof(SafeCookieSide side, const crypto::SecretBytes& cookie,
                                    std::span<const uint8_t> client_nonce,
                                    std::span<const uint8_t> server_nonce) {
  const std::string_view key =
      side == SafeCookieSide::kServerToController ? kServerToControllerKey : kControllerToServerKey;
  crypto_auth_hmacsha256_state state;
  crypto::SecretBytes proof(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, cookie.data(), cookie.size());
  crypto_auth_hmacsha256_update(&state, client_nonce.data(), client_nonce.size());
  crypto_auth_hmacsha256_update(&state, server_nonce.data(), server_nonce.size());
  crypto_auth_hmacsha256_final(&state, proof.data());
  sodium_memzero(&state, sizeof state);  // It holds the cookie's hash state.
  return proof;
}

bool ServerHashMatches(const crypto::SecretBytes& cookie, std::span<const uint8_t> client_nonce,
                       std::span<const uint8_t> server_nonce, const SafeCookieHash& server_hash) {
  const crypto::SecretBytes expected =
      SafeCookieProof(SafeCookieSide::kServerToController, cookie, client_nonce, server_nonce);
  return expected.Equals(server_hash);  // sodium_memcmp: constant time.
}

}  // namespace inmost::tor
