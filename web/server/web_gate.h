// Who may use `inmost web`: the token (from the URL's query once, then the cookie,
// or an Authorization: Bearer header), the Host header (DNS rebinding) and the
// WebSocket's Origin. It decides only; it never logs or copies the token.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web/server/web_token.h"

namespace inmost::web {

// What a request's credentials amount to.
enum class TokenCheck {
  kMissing,    // No token anywhere: 401.
  kWrong,      // A token that is not this run's: 403.
  kFromQuery,  // The URL's ?token=: redirect to set the cookie.
  kAccepted,   // The cookie or a Bearer header.
};

class WebGate {
 public:
  // `bound` is the address and port the server listens on (the real port, not 0).
  WebGate(WebToken token, const boost::asio::ip::tcp::endpoint& bound);

  // Whether a Host header names this server: the bound address and port, or
  // localhost and the port when bound to loopback.
  bool HostAllowed(std::string_view host) const;
  // Also accepts `host` (an onion address, with or without its port 80).
  void AllowHost(std::string_view host);
  // Whether a WebSocket's Origin is this server's own page, reached at `host`.
  static bool OriginAllowed(std::string_view origin, std::string_view host);

  // Checks the token of a request with this target, Cookie and Authorization.
  TokenCheck CheckToken(std::string_view target, std::string_view cookie,
                        std::string_view authorization) const;

  // "inmost_token_8080": the port is in the name because browsers share cookies
  // across ports of one host.
  const std::string& cookie_name() const { return cookie_name_; }
  // The Set-Cookie value that keeps the token for later requests.
  std::string SetCookie() const;
  const WebToken& token() const { return token_; }

 private:
  WebToken token_;
  std::vector<std::string> hosts_;
  std::string cookie_name_;
};

}  // namespace inmost::web
