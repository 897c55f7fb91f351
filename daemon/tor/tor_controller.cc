#include "daemon/tor/tor_controller.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "daemon/codec/tor/control_text.h"
#include "daemon/codec/tor/onion_key.h"
#include "daemon/codec/tor/safe_cookie.h"
#include "daemon/crypto/bytes.h"

namespace inmost::tor {

namespace asio = boost::asio;

namespace {

// PROTOCOLINFO's version argument (control-spec 3.21: "1" is the only one).
constexpr std::string_view kProtocolInfoVersion = "1";
// The methods as PROTOCOLINFO names them.
constexpr std::string_view kSafeCookie = "SAFECOOKIE";
constexpr std::string_view kCookie = "COOKIE";
constexpr std::string_view kHashedPassword = "HASHEDPASSWORD";
constexpr std::string_view kNull = "NULL";
constexpr std::string_view kBootstrapPhaseKey = "status/bootstrap-phase";

std::span<const uint8_t> Bytes(std::string_view text) {
  return crypto::AsBytes(text);
}

// Lowercase hex of `secret`, in secret memory.
crypto::SecretBytes SecretHex(std::span<const uint8_t> secret) {
  crypto::SecretBytes hex(secret.size() * 2 + 1);  // sodium_bin2hex writes a NUL.
  sodium_bin2hex(reinterpret_cast<char*>(hex.data()), hex.size(), secret.data(), secret.size());
  return crypto::SecretBytes::CopyOf(hex.span().first(secret.size() * 2));
}

// An event name: capital letters, digits and '_'.
bool IsEventName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string_view MethodName(AuthMethod method) {
  switch (method) {
    case AuthMethod::kSafeCookie:
      return kSafeCookie;
    case AuthMethod::kCookie:
      return kCookie;
    case AuthMethod::kPassword:
      return kHashedPassword;
    case AuthMethod::kNull:
      return kNull;
    case AuthMethod::kAuto:
      break;
  }
  return "";
}

AuthMethod ChooseMethod(const ProtocolInfo& info, const AuthOptions& options) {
  if (options.method != AuthMethod::kAuto) return options.method;
  if (options.password != nullptr) return AuthMethod::kPassword;
  if (info.Offers(kSafeCookie)) return AuthMethod::kSafeCookie;
  if (info.Offers(kCookie)) return AuthMethod::kCookie;
  if (info.Offers(kNull)) return AuthMethod::kNull;
  return AuthMethod::kAuto;  // Nothing usable.
}

}  // namespace

TorController::TorController(asio::io_context& io, const core::Clock& clock,
                             ControlTimeouts timeouts)
    : connection_(io, clock, timeouts) {}

asio::awaitable<Status> TorController::Connect(std::string address) {
  return connection_.Connect(std::move(address));
}

asio::awaitable<Result<ControlReply>> TorController::Simple(std::string verb, std::string line) {
  auto reply = co_await connection_.Command(verb, Bytes(line));
  if (!reply.ok()) co_return reply.status();
  Status refused = ReplyStatus(verb, *reply);
  if (!refused.ok()) co_return refused;
  co_return reply;
}

asio::awaitable<Result<ProtocolInfo>> TorController::GetProtocolInfo() {
  if (protocol_info_) co_return *protocol_info_;
  INMOST_CO_ASSIGN_OR_RETURN(
      ControlReply reply,
      co_await Simple("PROTOCOLINFO", "PROTOCOLINFO " + std::string(kProtocolInfoVersion)));
  INMOST_CO_ASSIGN_OR_RETURN(ProtocolInfo info, ParseProtocolInfo(reply));
  protocol_info_ = info;
  co_return info;
}

asio::awaitable<Status> TorController::Authenticate(const AuthOptions& options) {
  INMOST_CO_ASSIGN_OR_RETURN(ProtocolInfo info, co_await GetProtocolInfo());
  const AuthMethod method = ChooseMethod(info, options);
  if (method == AuthMethod::kAuto) {
    co_return Unsupported("tor's control port offers no authentication method inmost knows (" +
                          info.MethodList() + ")");
  }
  const std::string name(MethodName(method));
  if (!info.Offers(name)) {
    co_return Unsupported("tor's control port does not offer " + name +
                          " authentication (it offers " + info.MethodList() + ")");
  }
  const std::string cookie_file =
      options.cookie_file.empty() ? info.cookie_file : options.cookie_file;
  if ((method == AuthMethod::kSafeCookie || method == AuthMethod::kCookie) && cookie_file.empty()) {
    co_return FailedPrecondition("tor offers " + name + " authentication but names no cookie file");
  }
  switch (method) {
    case AuthMethod::kSafeCookie:
      co_return co_await AuthenticateSafeCookie(cookie_file);
    case AuthMethod::kCookie: {
      INMOST_CO_ASSIGN_OR_RETURN(crypto::SecretBytes cookie, ReadCookieFile(cookie_file));
      co_return co_await SendAuthenticate(SecretHex(cookie.span()));
    }
    case AuthMethod::kPassword: {
      if (options.password == nullptr) {
        co_return InvalidArgument("password authentication needs a password");
      }
      // In hex, which the spec allows too: tor 0.4.9 reads a quoted password's \"
      // and \\ but not the octal escapes any other byte would need.
      co_return co_await SendAuthenticate(SecretHex(options.password->span()));
    }
    case AuthMethod::kNull:
    case AuthMethod::kAuto:
      break;
  }
  co_return co_await SendAuthenticate(crypto::SecretBytes());
}

asio::awaitable<Status> TorController::AuthenticateSafeCookie(const std::string& cookie_file) {
  INMOST_CO_ASSIGN_OR_RETURN(crypto::SecretBytes cookie, ReadCookieFile(cookie_file));
  Nonce client_nonce{};
  randombytes_buf(client_nonce.data(), client_nonce.size());
  INMOST_CO_ASSIGN_OR_RETURN(
      ControlReply reply,
      co_await Simple("AUTHCHALLENGE", "AUTHCHALLENGE SAFECOOKIE " + crypto::ToHex(client_nonce)));
  INMOST_CO_ASSIGN_OR_RETURN(AuthChallenge challenge, ParseAuthChallenge(reply));
  if (!ServerHashMatches(cookie, client_nonce, challenge.server_nonce, challenge.server_hash)) {
    connection_.Close();
    co_return AuthenticationFailed(
        "the program at tor's control port does not know the cookie in " + cookie_file +
        " (its SAFECOOKIE server hash is wrong): it is not the tor that wrote that file");
  }
  const crypto::SecretBytes proof = SafeCookieProof(SafeCookieSide::kControllerToServer, cookie,
                                                    client_nonce, challenge.server_nonce);
  co_return co_await SendAuthenticate(SecretHex(proof.span()));
}

asio::awaitable<Status> TorController::SendAuthenticate(const crypto::SecretBytes& argument) {
  constexpr std::string_view kVerb = "AUTHENTICATE";
  const crypto::SecretBytes line = argument.empty()
                                       ? SecretLine({Bytes(kVerb)})
                                       : SecretLine({Bytes(kVerb), Bytes(" "), argument.span()});
  auto reply = co_await connection_.Command(std::string(kVerb), line.span());
  if (!reply.ok()) co_return reply.status();
  co_return ReplyStatus(kVerb, *reply);
}

asio::awaitable<Result<std::map<std::string, std::string>>> TorController::GetInfo(
    std::vector<std::string> keys) {
  if (keys.empty()) co_return InvalidArgument("GETINFO needs at least one key");
  std::string line = "GETINFO";
  for (const std::string& key : keys) {
    if (!IsPlainArgument(key)) co_return InvalidArgument("not a GETINFO key: " + Quote(key));
    line += " " + key;
  }
  INMOST_CO_ASSIGN_OR_RETURN(ControlReply reply, co_await Simple("GETINFO", std::move(line)));
  co_return ParseGetInfo(reply, keys);
}

asio::awaitable<Result<BootstrapPhase>> TorController::GetBootstrapPhase() {
  std::vector<std::string> keys = {std::string(kBootstrapPhaseKey)};
  INMOST_CO_ASSIGN_OR_RETURN(auto values, co_await GetInfo(std::move(keys)));
  co_return ParseBootstrapPhase(values[std::string(kBootstrapPhaseKey)]);
}

asio::awaitable<Status> TorController::SetEvents(std::vector<std::string> events) {
  std::string line = "SETEVENTS";
  for (const std::string& event : events) {
    if (!IsEventName(event)) co_return InvalidArgument("not an event name: " + Quote(event));
    line += " " + event;
  }
  auto reply = co_await Simple("SETEVENTS", std::move(line));
  co_return reply.status();
}

asio::awaitable<Result<OnionService>> TorController::AddOnion(const AddOnionRequest& request) {
  auto line = AddOnionLine(request);
  if (!line.ok()) co_return line.status();
  auto reply = co_await connection_.Command("ADD_ONION", line->span());
  if (!reply.ok()) co_return reply.status();
  auto service = ParseAddOnion(*reply);
  reply->Wipe();
  if (!service.ok()) co_return service.status();
  if (request.key == nullptr && request.return_new_key && service->private_key.empty()) {
    co_return Corruption("tor made a new onion service key but did not return it");
  }
  co_return service;
}

asio::awaitable<Status> TorController::DelOnion(std::string service_id) {
  if (!IsServiceId(service_id)) co_return InvalidArgument("not a v3 onion service ID");
  auto reply = co_await Simple("DEL_ONION", "DEL_ONION " + service_id);
  co_return reply.status();
}

asio::awaitable<Status> TorController::Signal(std::string name) {
  if (!IsEventName(name)) co_return InvalidArgument("not a signal name: " + Quote(name));
  auto reply = co_await Simple("SIGNAL", "SIGNAL " + name);
  co_return reply.status();
}

}  // namespace inmost::tor
