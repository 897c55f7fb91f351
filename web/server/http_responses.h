// The responses `inmost web` sends, each with the same security headers (a strict
// Content-Security-Policy, nosniff, no referrer, no caching, no framing), so no
// response, not even an error, goes out without them. It never decides who may
// see what (web_gate.h does).
#pragma once

#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

#include "web/server/page_assets.h"

namespace inmost::web {

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Sets the security headers on a response, or on the WebSocket upgrade's.
void AddSecurityHeaders(boost::beast::http::fields& fields);

// A short plain-text answer (an error, mostly), closing the connection.
HttpResponse TextResponse(boost::beast::http::status status, std::string_view text,
                          unsigned version);
// An embedded page file.
HttpResponse FileResponse(const PageFile& file, unsigned version);
// Content of a given type (the QR code's SVG).
HttpResponse ContentResponse(std::string body, std::string_view content_type, unsigned version);
// 303 to `location`, setting the token cookie.
HttpResponse RedirectResponse(std::string_view location, const std::string& set_cookie,
                              unsigned version);

}  // namespace inmost::web
