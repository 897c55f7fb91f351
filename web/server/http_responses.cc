#include "web/server/http_responses.h"

namespace inmost::web {
namespace {

namespace http = boost::beast::http;

// connect-src 'self' admits ws:// to the page's own host and port in current browsers
// (CSP Level 3 matches ws: against an http: 'self').
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'";

HttpResponse Base(http::status status, unsigned version) {
  HttpResponse response(status, version);
  response.set(http::field::server, "inmost");
  AddSecurityHeaders(response.base());
  return response;
}

}  // namespace

void AddSecurityHeaders(http::fields& fields) {
  fields.set("Content-Security-Policy", kContentSecurityPolicy);
  fields.set("X-Content-Type-Options", "nosniff");
  fields.set("Referrer-Policy", "no-referrer");
  fields.set(http::field::cache_control, "no-store");
  fields.set("X-Frame-Options", "DENY");
  fields.set("Cross-Origin-Opener-Policy", "same-origin");
  fields.set("Cross-Origin-Resource-Policy", "same-origin");
}

HttpResponse TextResponse(http::status status, std::string_view text, unsigned version) {
  HttpResponse response = Base(status, version);
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = std::string(text) + "\n";
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

HttpResponse FileResponse(const PageFile& file, unsigned version) {
  HttpResponse response = Base(http::status::ok, version);
  response.set(http::field::content_type, ContentTypeOf(file.name));
  response.body().assign(reinterpret_cast<const char*>(file.bytes.data()), file.bytes.size());
  response.prepare_payload();
  return response;
}

HttpResponse ContentResponse(std::string body, std::string_view content_type, unsigned version) {
  HttpResponse response = Base(http::status::ok, version);
  response.set(http::field::content_type, content_type);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpResponse RedirectResponse(std::string_view location, const std::string& set_cookie,
                              unsigned version) {
  HttpResponse response = Base(http::status::see_other, version);
  response.set(http::field::location, location);
  response.set(http::field::set_cookie, set_cookie);
  response.prepare_payload();
  return response;
}

}  // namespace inmost::web
