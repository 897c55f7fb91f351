// The JSON-RPC 2.0 face of the control API: one JSON object (or a batch of them) per
// line, translated to and from the protobuf messages by reflection, so a new request
// type needs no change here. It never executes a request and never logs what a line contains.
//
// Mapping (protobuf's JSON mapping throughout):
//   request   {"jsonrpc":"2.0","id":7,"method":"send","params":{"text":"hi"}}
//             "method" names a field of Request's `body` oneof; "params" (an object,
//             optional) is that field's message, unknown members ignored so older
//             daemons accept newer clients; "id" is a number, a string or null, and
//             without it the call is a notification and gets no reply.
//   result    {"jsonrpc":"2.0","id":7,"result":{"id":"42","sent_at_unix_ms":"..."}}
//             the reply body with proto field names and every field printed. 64-bit
//             integers are JSON strings, as protobuf's JSON mapping prescribes.
//   error     {"jsonrpc":"2.0","id":7,"error":{"code":C,"message":M,"data":{"code_name":N}}}
//             C is -32700, -32600, -32601 or -32602 for envelope errors, and
//             1000 + inmost::Code for errors the daemon answered with.
//   event     {"jsonrpc":"2.0","method":"event","params":<Event>}
// Numeric ids travel as JSON numbers (doubles): integers beyond 2^53 lose digits,
// so clients that need large ids should use strings.
//   batch     a line holding a JSON array of requests (JSON-RPC 2.0 §6) is answered
//             by one line: the array of their replies in order, notifications left
//             out (none at all: no line). `[]` gets one invalid-request error, not
//             an array; an element that is not a request gets its own error.
//
// Before any JSON parser sees a line, a scan of its raw bytes bounds its shape (see
// kMaxJsonDepth): protobuf's parser spends seconds of the daemon's one io thread on
// a deeply nested or element-heavy line well under the size limit.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inmost/status.h"
#include "proto/control.pb.h"

namespace inmost::control {

// JSON-RPC 2.0's reserved error codes.
inline constexpr int kJsonRpcParseError = -32700;
inline constexpr int kJsonRpcInvalidRequest = -32600;
inline constexpr int kJsonRpcMethodNotFound = -32601;
inline constexpr int kJsonRpcInvalidParams = -32602;
// Application errors are reported as this plus the numeric inmost::Code.
inline constexpr int kJsonRpcApplicationErrorBase = 1000;

// A line nesting arrays and objects deeper than this, or holding more array
// elements and object members than kMaxJsonValues in all, is refused unparsed with
// a parse error. A request needs a few levels and a few dozen values; protobuf's
// parser reads no more than 33 levels of objects anyway (it fails cryptically
// beyond), and spends microseconds per value.
inline constexpr size_t kMaxJsonDepth = 32;
inline constexpr size_t kMaxJsonValues = 4096;

struct JsonRpcError {
  int code = 0;
  std::string message;
  std::string code_name;  // "parse_error", ..., or an inmost::CodeName.
};

// One parsed request line. Exactly one of `request` (with its body set) and
// `error` is meaningful: `error` when it has a value.
struct JsonRpcCall {
  // The request's "id" as JSON text, echoed verbatim-ish in the reply; "null" when
  // the id was absent or could not be read.
  std::string id_json = "null";
  // True when the line had no "id": a notification, to which nothing is replied,
  // not even an error. Lines too broken to tell are never notifications.
  bool notification = false;
  Request request;
  std::optional<JsonRpcError> error;
};

// A parsed line: one call, or the calls of a batch in their order.
struct JsonRpcLine {
  bool batch = false;              // The replies go back as one JSON array.
  std::vector<JsonRpcCall> calls;  // At least one.
};

// Parses one line (without its newline): a request or a batch of them.
JsonRpcLine ParseJsonRpcLine(std::string_view line);

// Parses one line that must hold a single request (a batch is an invalid request).
JsonRpcCall ParseJsonRpcRequest(std::string_view line);

// The line (no newline) answering a batch: `replies`, each a reply line or empty for
// a notification, as one JSON array; empty when every one is empty.
std::string JsonRpcBatchReply(const std::vector<std::string>& replies);

// The reply line (no newline) for `response`: its body as "result", or its error
// as an application error.
std::string JsonRpcReply(std::string_view id_json, const Response& response);

// The error reply line (no newline) carrying `error`.
std::string JsonRpcErrorReply(std::string_view id_json, const JsonRpcError& error);

// The application error for `status` (which must not be ok): code 1000 + code.
JsonRpcError JsonRpcApplicationError(const Status& status);

// The notification line (no newline) that carries `event` to a subscriber.
std::string JsonRpcEventNotification(const Event& event);

}  // namespace inmost::control
