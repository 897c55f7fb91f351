#include "web/server/page_routes.h"

#include <boost/beast/websocket/rfc6455.hpp>

#include "web/server/qr_svg.h"
#include "web/server/request_target.h"

namespace inmost::web {
namespace {

namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

constexpr char kOpenTheUrl[] =
    "Open the URL that `inmost web` printed (http://.../?token=...): it holds this run's "
    "token. A new run prints a new one.";

RouteDecision Refuse(http::status status, std::string_view text, unsigned version,
                     std::string why) {
  RouteDecision decision;
  decision.response = TextResponse(status, text, version);
  decision.refusal = std::move(why);
  return decision;
}

RouteDecision Answer(HttpResponse response) {
  RouteDecision decision;
  decision.response = std::move(response);
  return decision;
}

RouteDecision QrCode(const HttpRequest& request) {
  std::optional<std::string> text = QueryParameter(request.target(), "text");
  if (!text) {
    return Refuse(http::status::bad_request, "Give the text: /qr.svg?text=...", request.version(),
                  "a QR code without text");
  }
  Result<std::string> svg = QrSvg(*text);
  if (!svg.ok()) {
    return Refuse(http::status::bad_request, "No QR code: " + svg.status().message(),
                  request.version(), "a QR code of an unusable text");
  }
  return Answer(ContentResponse(std::move(svg).value(), "image/svg+xml", request.version()));
}

}  // namespace

RouteDecision Route(const WebGate& gate, const HttpRequest& request, bool has_body) {
  const unsigned version = request.version();
  const std::string_view host = request[http::field::host];
  const std::string_view path = TargetPath(request.target());
  if (!gate.HostAllowed(host)) {
    // A page of another name reaching this port (DNS rebinding) is turned away.
    return Refuse(http::status::misdirected_request,
                  "This is inmost web; it answers only at the address it printed.", version,
                  "a foreign Host header");
  }
  switch (gate.CheckToken(request.target(), request[http::field::cookie],
                          request[http::field::authorization])) {
    case TokenCheck::kMissing:
      return Refuse(http::status::unauthorized, kOpenTheUrl, version, "no token");
    case TokenCheck::kWrong:
      return Refuse(http::status::forbidden, kOpenTheUrl, version, "a wrong token");
    case TokenCheck::kFromQuery:
    case TokenCheck::kAccepted:
      break;
  }
  if (request.method() != http::verb::get) {
    RouteDecision decision = Refuse(http::status::method_not_allowed, "Only GET is served.",
                                    version, "a method other than GET");
    decision.response.set(http::field::allow, "GET");
    return decision;
  }
  if (has_body) {
    return Refuse(http::status::payload_too_large, "Requests here carry no body.", version,
                  "a request with a body");
  }
  if (path == kSocketPath) {
    if (!websocket::is_upgrade(request)) {
      return Refuse(http::status::upgrade_required, "This is the page's WebSocket.", version,
                    "a plain request for the WebSocket");
    }
    if (!WebGate::OriginAllowed(request[http::field::origin], host)) {
      return Refuse(http::status::forbidden, "Only this server's own page may connect.", version,
                    "a WebSocket from a foreign Origin");
    }
    RouteDecision decision;
    decision.upgrade = true;
    return decision;
  }
  if (gate.CheckToken(request.target(), {}, {}) == TokenCheck::kFromQuery) {
    // The token leaves the address bar and the history; the cookie keeps it.
    return Answer(
        RedirectResponse(TargetWithout(request.target(), "token"), gate.SetCookie(), version));
  }
  if (path == "/qr.svg") return QrCode(request);
  const PageFile* file = path == "/"
                             ? FindPageFile("index.html")
                             : (path.starts_with('/') ? FindPageFile(path.substr(1)) : nullptr);
  if (file == nullptr) {
    return Refuse(http::status::not_found, "Not found.", version, "");
  }
  return Answer(FileResponse(*file, version));
}

}  // namespace inmost::web
