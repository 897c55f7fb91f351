// What the replies to the controller's commands, and the events it follows, say: the
// fields of PROTOCOLINFO, AUTHCHALLENGE, GETINFO, ADD_ONION, the bootstrap phase and
// HS_DESC, and a failed reply as a Status. Asio-free, for the fuzzer. It must never put
// a private key anywhere but secret memory, nor trust a field it has not checked.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/crypto/secret_bytes.h"
#include "daemon/codec/tor/reply_reader.h"
#include "daemon/codec/tor/safe_cookie.h"
#include "inmost/status.h"

namespace inmost::tor {

// The Status for a reply that is not 2xx: "tor refused VERB: <Tor's text> (<code>)",
// its Code from the status code (515 AuthenticationFailed, 552 NotFound, 451
// ResourceExhausted, 510-513 and 553 InvalidArgument, 514 FailedPrecondition, others
// Unavailable). Only the command's verb goes in, never its arguments.
Status ReplyStatus(std::string_view verb, const ControlReply& reply);

// PROTOCOLINFO (control-spec 3.21).
struct ProtocolInfo {
  std::vector<std::string> auth_methods;  // NULL, HASHEDPASSWORD, COOKIE, SAFECOOKIE, ...
  std::string cookie_file;                // Empty when Tor names none.
  std::string tor_version;                // Empty when Tor does not say.

  bool Offers(std::string_view method) const;
  // "COOKIE, SAFECOOKIE": for messages.
  std::string MethodList() const;
};
Result<ProtocolInfo> ParseProtocolInfo(const ControlReply& reply);

// AUTHCHALLENGE's answer (control-spec 3.24).
struct AuthChallenge {
  SafeCookieHash server_hash{};
  Nonce server_nonce{};
};
Result<AuthChallenge> ParseAuthChallenge(const ControlReply& reply);

// GETINFO's values by key, from "key=value" lines and "key=" lines with a data block.
// Corruption when a line is neither, or when one of `keys` has no value.
Result<std::map<std::string, std::string>> ParseGetInfo(const ControlReply& reply,
                                                        const std::vector<std::string>& keys);

// ADD_ONION's answer: the service ID, and the private key when Tor made one and was
// not told to discard it (empty otherwise).
struct OnionService {
  std::string service_id;
  crypto::SecretBytes private_key;
};
Result<OnionService> ParseAddOnion(const ControlReply& reply);

// A bootstrap status as GETINFO status/bootstrap-phase and STATUS_CLIENT events give
// it: "NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"" (after the event name).
struct BootstrapPhase {
  int progress = 0;  // 0..100
  std::string tag;
  std::string summary;
  std::string warning;  // Set when Tor reports a problem ("WARN BOOTSTRAP ...").
};
Result<BootstrapPhase> ParseBootstrapPhase(std::string_view text);

// An HS_DESC event (control-spec 4.1.25): "HS_DESC UPLOADED <address> <auth> <hsdir>".
struct HsDescEvent {
  std::string action;   // REQUESTED, UPLOAD, RECEIVED, UPLOADED, IGNORE, FAILED, CREATED
  std::string address;  // The service ID, without ".onion".
  std::string hs_dir;   // The directory it went to, or "UNKNOWN".
  std::string reason;   // REASON= of a FAILED event.
};
Result<HsDescEvent> ParseHsDescEvent(const ControlReply& event);

// The name of an event (its first word: "HS_DESC"), empty if it has none.
std::string EventName(const ControlReply& event);

}  // namespace inmost::tor
