#include "web/server/web_gate.h"

#include <algorithm>
#include <cctype>

#include "web/server/listen_address.h"
#include "web/server/request_target.h"

namespace inmost::web {
namespace {

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Every value of the cookie called `name` in a Cookie header ("a=1; b=2").
std::vector<std::string_view> CookieValues(std::string_view header, std::string_view name) {
  std::vector<std::string_view> values;
  while (!header.empty()) {
    size_t semicolon = header.find(';');
    std::string_view pair = Trim(header.substr(0, semicolon));
    size_t equals = pair.find('=');
    if (equals != std::string_view::npos && Trim(pair.substr(0, equals)) == name) {
      values.push_back(Trim(pair.substr(equals + 1)));
    }
    if (semicolon == std::string_view::npos) break;
    header.remove_prefix(semicolon + 1);
  }
  return values;
}

}  // namespace

WebGate::WebGate(WebToken token, const boost::asio::ip::tcp::endpoint& bound)
    : token_(std::move(token)), cookie_name_("inmost_token_" + std::to_string(bound.port())) {
  hosts_.push_back(HostAndPort(bound));
  if (bound.address().is_loopback()) hosts_.push_back("localhost:" + std::to_string(bound.port()));
}

void WebGate::AllowHost(std::string_view host) {
  const std::string lower = Lowercase(Trim(host));
  hosts_.push_back(lower);
  hosts_.push_back(lower + ":80");
}

bool WebGate::HostAllowed(std::string_view host) const {
  std::string lower = Lowercase(Trim(host));
  return std::find(hosts_.begin(), hosts_.end(), lower) != hosts_.end();
}

bool WebGate::OriginAllowed(std::string_view origin, std::string_view host) {
  return Lowercase(Trim(origin)) == "http://" + Lowercase(Trim(host));
}

TokenCheck WebGate::CheckToken(std::string_view target, std::string_view cookie,
                               std::string_view authorization) const {
  bool offered = false;
  // Every offered token is compared, so timing tells nothing about which one matched.
  bool accepted = false;
  for (std::string_view value : CookieValues(cookie, cookie_name_)) {
    offered = true;
    accepted = token_.Matches(value) || accepted;
  }
  authorization = Trim(authorization);
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() &&
      Lowercase(authorization.substr(0, kBearer.size())) == "bearer ") {
    offered = true;
    accepted = token_.Matches(Trim(authorization.substr(kBearer.size()))) || accepted;
  }
  std::optional<std::string> query = QueryParameter(target, "token");
  bool from_query = false;
  if (query) {
    offered = true;
    from_query = token_.Matches(*query);
  }
  if (from_query) return TokenCheck::kFromQuery;
  if (accepted) return TokenCheck::kAccepted;
  return offered ? TokenCheck::kWrong : TokenCheck::kMissing;
}

std::string WebGate::SetCookie() const {
  return cookie_name_ + "=" + std::string(token_.text()) + "; HttpOnly; SameSite=Strict; Path=/";
}

}  // namespace inmost::web
