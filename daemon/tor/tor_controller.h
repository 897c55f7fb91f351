// The daemon's client for Tor's control protocol (control-spec): authentication
// (SAFECOOKIE, COOKIE, password or none), GETINFO, SETEVENTS, SIGNAL, and the onion
// service commands ADD_ONION and DEL_ONION, over one ControlConnection. It must never
// send a secret but as Tor asks for it, keep a cookie, password or onion key outside
// secret memory, or ask Tor to Detach a service: a service lives as long as this
// connection, so Tor removes it when the daemon goes.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/codec/tor/add_onion_line.h"
#include "daemon/codec/tor/reply_fields.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/peer/asio.h"
#include "daemon/tor/control_connection.h"
#include "inmost/status.h"

namespace inmost::tor {

enum class AuthMethod {
  kAuto,        // A password if one is given, else SAFECOOKIE, COOKIE, then none.
  kSafeCookie,  // HMAC proofs both ways over the cookie: Tor proves it knows it too.
  kCookie,      // The cookie itself, in hex.
  kPassword,    // HASHEDPASSWORD.
  kNull,        // No authentication (a Tor that asks for none).
};

struct AuthOptions {
  AuthMethod method = AuthMethod::kAuto;
  // For kPassword (and kAuto): the password, owned by the caller.
  const crypto::SecretBytes* password = nullptr;
  // The cookie file; empty means the one PROTOCOLINFO names.
  std::string cookie_file;
};

class TorController {
 public:
  // `clock` must outlive the controller and its connection's read loop.
  TorController(boost::asio::io_context& io, const core::Clock& clock,
                ControlTimeouts timeouts = {});

  // Connects to the control port: "unix:/PATH", "/PATH" or "HOST:PORT".
  boost::asio::awaitable<Status> Connect(std::string address);

  // PROTOCOLINFO: the authentication methods, cookie file and Tor version. Tor answers
  // it only once before authentication, so the answer is kept and returned again.
  boost::asio::awaitable<Result<ProtocolInfo>> GetProtocolInfo();

  // Authenticates as `options` say. AuthenticationFailed when Tor refuses, or when a
  // SAFECOOKIE answer shows that the Tor there does not know the cookie (the server
  // hash, compared in constant time); Unsupported when Tor does not offer the method.
  boost::asio::awaitable<Status> Authenticate(const AuthOptions& options = {});

  // GETINFO: the value of each key (raw: a quoted one stays quoted).
  boost::asio::awaitable<Result<std::map<std::string, std::string>>> GetInfo(
      std::vector<std::string> keys);
  // GETINFO status/bootstrap-phase, parsed.
  boost::asio::awaitable<Result<BootstrapPhase>> GetBootstrapPhase();

  // SETEVENTS: which events Tor sends from now on (replacing the previous set; empty
  // stops them). They arrive through NextEvent() or the handler.
  boost::asio::awaitable<Status> SetEvents(std::vector<std::string> events);
  boost::asio::awaitable<Result<std::optional<ControlReply>>> NextEvent(
      std::chrono::milliseconds timeout) {
    return connection_.NextEvent(timeout);
  }
  void SetEventHandler(ControlConnection::EventHandler handler) {
    connection_.SetEventHandler(std::move(handler));
  }

  // ADD_ONION with an ED25519-V3 key (given, or new), never detached (AddOnionLine).
  boost::asio::awaitable<Result<OnionService>> AddOnion(const AddOnionRequest& request);
  // DEL_ONION: removes a service this connection added.
  boost::asio::awaitable<Status> DelOnion(std::string service_id);
  // SIGNAL, such as RELOAD, NEWNYM or SHUTDOWN.
  boost::asio::awaitable<Status> Signal(std::string name);

  void Close() { connection_.Close(); }
  bool open() const { return connection_.open(); }
  Status closed_status() const { return connection_.closed_status(); }

 private:
  // Sends a command that holds no secret and returns its reply if it is 2xx.
  boost::asio::awaitable<Result<ControlReply>> Simple(std::string verb, std::string line);
  boost::asio::awaitable<Status> AuthenticateSafeCookie(const std::string& cookie_file);
  // AUTHENTICATE followed by `argument`, which is wiped with the line.
  boost::asio::awaitable<Status> SendAuthenticate(const crypto::SecretBytes& argument);

  ControlConnection connection_;
  std::optional<ProtocolInfo> protocol_info_;
};

}  // namespace inmost::tor
