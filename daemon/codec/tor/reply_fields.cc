#include "daemon/codec/tor/reply_fields.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "daemon/crypto/bytes.h"
#include "daemon/codec/tor/control_text.h"
#include "daemon/codec/tor/onion_key.h"

namespace inmost::tor {

namespace {

// The most of Tor's own explanation that goes into a Status message.
constexpr size_t kMaxExplanation = 200;
constexpr int kMaxProgress = 100;

// Tor's status codes (control-spec 4), by what they mean for the caller.
constexpr int kResourceExhausted = 451;
constexpr int kUnrecognizedCommand = 510;
constexpr int kBadArgument = 513;
constexpr int kAuthenticationRequired = 514;
constexpr int kBadAuthentication = 515;
constexpr int kUnrecognizedEntity = 552;
constexpr int kInvalidConfigValue = 553;

// Tor's text, cut short and with anything unprintable replaced: it came from outside.
std::string Explanation(const std::string& text) {
  std::string out = text.substr(0, kMaxExplanation);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) c = '?';
  }
  if (text.size() > kMaxExplanation) out += "...";
  return out;
}

Status Malformed(std::string_view what, const std::string& why) {
  return Corruption("tor's " + std::string(what) + " reply is malformed: " + why);
}

Result<std::vector<ReplyField>> FieldsOf(std::string_view what, const std::string& text) {
  auto fields = SplitFields(text);
  if (!fields.ok()) return Malformed(what, fields.status().message());
  return fields;
}

// The positional words of `fields`, in order.
std::vector<std::string> Words(const std::vector<ReplyField>& fields) {
  std::vector<std::string> words;
  for (const ReplyField& field : fields) {
    if (field.key.empty()) words.push_back(field.value);
  }
  return words;
}

std::vector<std::string> SplitCommas(const std::string& list) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) items.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

Result<Nonce> ParseHash(const std::string* hex, std::string_view name) {
  if (hex == nullptr) return Malformed("AUTHCHALLENGE", "no " + std::string(name));
  auto bytes = crypto::FromHex(*hex);
  if (!bytes.ok() || bytes->size() != kSafeCookieNonceBytes) {
    return Malformed("AUTHCHALLENGE", std::string(name) + " is not 32 bytes of hex");
  }
  Nonce out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace

Status ReplyStatus(std::string_view verb, const ControlReply& reply) {
  if (reply.ok()) return Status::Ok();
  const std::string message = "tor refused " + std::string(verb) + ": " +
                              Explanation(reply.final_text()) + " (" +
                              std::to_string(reply.status) + ")";
  switch (reply.status) {
    case kBadAuthentication:
      return AuthenticationFailed(message);
    case kAuthenticationRequired:
      return FailedPrecondition(message);
    case kUnrecognizedEntity:
      return NotFound(message);
    case kResourceExhausted:
      return ResourceExhausted(message);
    case kInvalidConfigValue:
      return InvalidArgument(message);
    default:
      if (reply.status >= kUnrecognizedCommand && reply.status <= kBadArgument) {
        return InvalidArgument(message);
      }
      return Unavailable(message);
  }
}

bool ProtocolInfo::Offers(std::string_view method) const {
  return std::find(auth_methods.begin(), auth_methods.end(), method) != auth_methods.end();
}

std::string ProtocolInfo::MethodList() const {
  std::string list;
  for (const std::string& method : auth_methods) {
    if (!list.empty()) list += ", ";
    list += method;
  }
  return list.empty() ? "none" : list;
}

Result<ProtocolInfo> ParseProtocolInfo(const ControlReply& reply) {
  INMOST_RETURN_IF_ERROR(ReplyStatus("PROTOCOLINFO", reply));
  ProtocolInfo info;
  bool saw_auth = false;
  for (const ReplyLine& line : reply.lines) {
    INMOST_ASSIGN_OR_RETURN(auto fields, FieldsOf("PROTOCOLINFO", line.text));
    if (fields.empty() || !fields[0].key.empty()) continue;
    if (fields[0].value == "AUTH") {
      const std::string* methods = FindField(fields, "METHODS");
      if (methods == nullptr) return Malformed("PROTOCOLINFO", "AUTH without METHODS");
      info.auth_methods = SplitCommas(*methods);
      if (const std::string* cookie = FindField(fields, "COOKIEFILE")) info.cookie_file = *cookie;
      saw_auth = true;
    } else if (fields[0].value == "VERSION") {
      if (const std::string* version = FindField(fields, "Tor")) info.tor_version = *version;
    }
  }
  if (!saw_auth) return Malformed("PROTOCOLINFO", "no AUTH line");
  return info;
}

Result<AuthChallenge> ParseAuthChallenge(const ControlReply& reply) {
  INMOST_RETURN_IF_ERROR(ReplyStatus("AUTHCHALLENGE", reply));
  INMOST_ASSIGN_OR_RETURN(auto fields, FieldsOf("AUTHCHALLENGE", reply.lines.front().text));
  if (fields.empty() || !fields[0].key.empty() || fields[0].value != "AUTHCHALLENGE") {
    return Malformed("AUTHCHALLENGE", "it does not begin with AUTHCHALLENGE");
  }
  AuthChallenge challenge;
  INMOST_ASSIGN_OR_RETURN(challenge.server_hash,
                          ParseHash(FindField(fields, "SERVERHASH"), "SERVERHASH"));
  INMOST_ASSIGN_OR_RETURN(challenge.server_nonce,
                          ParseHash(FindField(fields, "SERVERNONCE"), "SERVERNONCE"));
  return challenge;
}

Result<std::map<std::string, std::string>> ParseGetInfo(const ControlReply& reply,
                                                        const std::vector<std::string>& keys) {
  INMOST_RETURN_IF_ERROR(ReplyStatus("GETINFO", reply));
  std::map<std::string, std::string> values;
  for (size_t i = 0; i + 1 < reply.lines.size(); ++i) {
    const ReplyLine& line = reply.lines[i];
    const size_t equals = line.text.find('=');
    if (equals == std::string::npos || equals == 0) {
      return Malformed("GETINFO", "a line that is not KEY=VALUE");
    }
    if (line.has_data && equals + 1 != line.text.size()) {
      return Malformed("GETINFO", "a data block after KEY=VALUE rather than KEY=");
    }
    values[line.text.substr(0, equals)] = line.has_data ? line.data : line.text.substr(equals + 1);
  }
  for (const std::string& key : keys) {
    if (values.count(key) == 0) return Malformed("GETINFO", "no value for " + key);
  }
  return values;
}

Result<OnionService> ParseAddOnion(const ControlReply& reply) {
  INMOST_RETURN_IF_ERROR(ReplyStatus("ADD_ONION", reply));
  OnionService service;
  constexpr std::string_view kServiceId = "ServiceID=";
  constexpr std::string_view kPrivateKey = "PrivateKey=";
  for (const ReplyLine& line : reply.lines) {
    const std::string_view text = line.text;
    if (text.starts_with(kServiceId)) {
      service.service_id.assign(text.substr(kServiceId.size()));
    } else if (text.starts_with(kPrivateKey)) {
      auto key = DecodeOnionKey(text.substr(kPrivateKey.size()));
      if (!key.ok()) return Malformed("ADD_ONION", "PrivateKey: " + key.status().message());
      service.private_key = std::move(*key);
    }
  }
  if (!IsServiceId(service.service_id)) {
    return Malformed("ADD_ONION", "no v3 ServiceID (56 base32 characters)");
  }
  return service;
}

Result<BootstrapPhase> ParseBootstrapPhase(std::string_view text) {
  INMOST_ASSIGN_OR_RETURN(auto fields, FieldsOf("bootstrap status", std::string(text)));
  const std::vector<std::string> words = Words(fields);
  if (words.size() < 2 || words[1] != "BOOTSTRAP") {
    return Malformed("bootstrap status", "it is not SEVERITY BOOTSTRAP ...");
  }
  const std::string* progress = FindField(fields, "PROGRESS");
  BootstrapPhase phase;
  if (progress == nullptr) return Malformed("bootstrap status", "no PROGRESS");
  const char* end = progress->data() + progress->size();
  auto parsed = std::from_chars(progress->data(), end, phase.progress);
  if (parsed.ec != std::errc() || parsed.ptr != end || phase.progress < 0 ||
      phase.progress > kMaxProgress) {
    return Malformed("bootstrap status", "PROGRESS is not a number from 0 to 100");
  }
  if (const std::string* tag = FindField(fields, "TAG")) phase.tag = *tag;
  if (const std::string* summary = FindField(fields, "SUMMARY")) phase.summary = *summary;
  if (const std::string* warning = FindField(fields, "WARNING")) phase.warning = *warning;
  return phase;
}

Result<HsDescEvent> ParseHsDescEvent(const ControlReply& event) {
  INMOST_ASSIGN_OR_RETURN(auto fields, FieldsOf("HS_DESC", event.lines.front().text));
  const std::vector<std::string> words = Words(fields);
  if (words.size() < 5 || words[0] != "HS_DESC") {
    return Malformed("HS_DESC", "it is not HS_DESC ACTION ADDRESS AUTH HSDIR");
  }
  HsDescEvent out;
  out.action = words[1];
  out.address = words[2];
  out.hs_dir = words[4];
  if (const std::string* reason = FindField(fields, "REASON")) out.reason = *reason;
  return out;
}

std::string EventName(const ControlReply& event) {
  if (event.lines.empty()) return "";
  const std::string& text = event.lines.front().text;
  return text.substr(0, text.find(' '));
}

}  // namespace inmost::tor
