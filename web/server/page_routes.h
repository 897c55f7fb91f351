// Which answer an HTTP request gets: refused (Host, token, method, body), redirected
// to set the token cookie, a page file, the QR code, or the WebSocket bridge. It
// decides without I/O; it never reads the file system (only embedded names match).
#pragma once

#include <boost/beast/http.hpp>
#include <string>

#include "web/server/http_responses.h"
#include "web/server/web_gate.h"

namespace inmost::web {

using HttpRequest = boost::beast::http::request<boost::beast::http::empty_body>;

// The WebSocket's path.
inline constexpr char kSocketPath[] = "/ws";

struct RouteDecision {
  bool upgrade = false;   // Hand the connection to the bridge (a checked /ws upgrade).
  HttpResponse response;  // Otherwise, the answer.
  std::string refusal;    // Why it was refused, for the log (never the token); or empty.
};

// `has_body`: the request announced a body (Content-Length or chunked).
RouteDecision Route(const WebGate& gate, const HttpRequest& request, bool has_body);

}  // namespace inmost::web
