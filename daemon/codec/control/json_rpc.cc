#include "daemon/codec/control/json_rpc.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "daemon/crypto/wipe.h"

namespace inmost::control {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Struct;
using google::protobuf::Value;
using google::protobuf::util::JsonParseOptions;
using google::protobuf::util::JsonPrintOptions;
using google::protobuf::util::JsonStringToMessage;
using google::protobuf::util::MessageToJsonString;

constexpr char kBodyOneof[] = "body";

JsonPrintOptions PrintOptions() {
  JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  return options;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  if (!MessageToJsonString(message, &json, PrintOptions()).ok()) return "{}";
  return json;
}

// Parser diagnostics may quote the offending input; keep them short and plain
// ASCII so an error reply is always valid JSON.
std::string PrintableAscii(std::string_view text) {
  constexpr size_t kMaxChars = 200;
  std::string out;
  for (char c : text.substr(0, kMaxChars)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : ' ');
  }
  return out;
}

// A reply line: {"jsonrpc":"2.0","id":<id_json>,"<member>":<value_json>}.
std::string ReplyLine(std::string_view id_json, std::string_view member,
                      std::string_view value_json) {
  constexpr std::string_view kHead = R"({"jsonrpc":"2.0","id":)";
  std::string line;
  // Reserved exactly: growing would leave copies of a reply's secrets behind.
  line.reserve(kHead.size() + id_json.size() + 2 + member.size() + 2 + value_json.size() + 1);
  line += kHead;
  line += id_json;
  line += R"(,")";
  line += member;
  line += R"(":)";
  line += value_json;
  line += '}';
  return line;
}

JsonRpcError MakeError(int code, std::string message) {
  std::string_view name;
  switch (code) {
    case kJsonRpcParseError:
      name = "parse_error";
      break;
    case kJsonRpcInvalidRequest:
      name = "invalid_request";
      break;
    case kJsonRpcMethodNotFound:
      name = "method_not_found";
      break;
    case kJsonRpcInvalidParams:
      name = "invalid_params";
      break;
    default:
      name = "unknown";
      break;
  }
  return JsonRpcError{code, std::move(message), std::string(name)};
}

// Why `line` must not reach a JSON parser (kMaxJsonDepth, kMaxJsonValues), if it
// must not. One pass over the bytes, stopping at the first value past a limit, so
// even a megabyte is refused in about a millisecond. Brackets and commas count
// outside strings only; strings are quoted with " or ' (protobuf's parser takes
// both) and a backslash escapes the next byte. Malformed input may be miscounted,
// but never so that a parser would see more than the limits allow.
std::optional<JsonRpcError> StructureProblem(std::string_view line) {
  size_t depth = 0;
  size_t values = 0;
  bool container_opened = false;  // The previous token was '[' or '{'.
  char quote = 0;                 // The quote of the string being scanned, if any.
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    // Anything but a closing bracket right after an opening one is a first value.
    if (container_opened && c != ']' && c != '}') ++values;
    container_opened = false;
    switch (c) {
      case '"':
      case '\'':
        quote = c;
        break;
      case '[':
      case '{':
        if (++depth > kMaxJsonDepth) {
          return MakeError(kJsonRpcParseError,
                           "refused unparsed: arrays and objects nest more than " +
                               std::to_string(kMaxJsonDepth) + " levels deep (the limit)");
        }
        container_opened = true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      case ',':
        ++values;
        break;
      default:
        break;
    }
    if (values > kMaxJsonValues) {
      return MakeError(kJsonRpcParseError, "refused unparsed: more than " +
                                               std::to_string(kMaxJsonValues) +
                                               " array elements and object members (the limit)");
    }
  }
  return std::nullopt;
}

const Value* Member(const Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

// One request of a line, or of a batch, already parsed as JSON.
JsonRpcCall ParseCall(const Value& envelope) {
  JsonRpcCall call;
  if (envelope.kind_case() != Value::kStructValue) {
    call.error = MakeError(kJsonRpcInvalidRequest, "a request must be a JSON object");
    return call;
  }
  const Struct& object = envelope.struct_value();

  const Value* id = Member(object, "id");
  if (id != nullptr) {
    switch (id->kind_case()) {
      case Value::kNumberValue:
      case Value::kStringValue:
      case Value::kNullValue:
        call.id_json = ToJson(*id);
        break;
      default:
        call.error = MakeError(kJsonRpcInvalidRequest, "\"id\" must be a number, a string or null");
        return call;
    }
  }

  const Value* version = Member(object, "jsonrpc");
  if (version == nullptr || version->kind_case() != Value::kStringValue ||
      version->string_value() != "2.0") {
    call.error = MakeError(kJsonRpcInvalidRequest, "\"jsonrpc\" must be \"2.0\"");
    return call;
  }
  const Value* method = Member(object, "method");
  if (method == nullptr || method->kind_case() != Value::kStringValue) {
    call.error = MakeError(kJsonRpcInvalidRequest, "\"method\" must be a string");
    return call;
  }
  // From here on the envelope is sound: without an id nothing is replied.
  call.notification = id == nullptr;

  const std::string& name = method->string_value();
  const FieldDescriptor* field = Request::descriptor()->FindFieldByName(name);
  if (field == nullptr || field->containing_oneof() == nullptr ||
      field->containing_oneof()->name() != kBodyOneof ||
      field->type() != FieldDescriptor::TYPE_MESSAGE) {
    call.error =
        MakeError(kJsonRpcMethodNotFound, "method not found: " + PrintableAscii(name) +
                                              " (this daemon may be older than the client)");
    return call;
  }
  google::protobuf::Message* body =
      call.request.GetReflection()->MutableMessage(&call.request, field);

  const Value* params = Member(object, "params");
  if (params != nullptr && params->kind_case() != Value::kNullValue) {
    if (params->kind_case() != Value::kStructValue) {
      call.error = MakeError(kJsonRpcInvalidParams, "\"params\" must be an object");
      return call;
    }
    std::string params_json;
    crypto::WipedOnExit wipe_params(params_json);  // A passphrase, an invite code...
    if (!MessageToJsonString(params->struct_value(), &params_json).ok()) {
      call.error = MakeError(kJsonRpcInvalidParams, "\"params\" cannot be read");
      return call;
    }
    JsonParseOptions options;
    options.ignore_unknown_fields = true;  // Newer clients may send fields we lack.
    auto status = JsonStringToMessage(params_json, body, options);
    if (!status.ok()) {
      call.error = MakeError(kJsonRpcInvalidParams,
                             "invalid params: " + PrintableAscii(std::string(status.message())));
      return call;
    }
  }
  return call;
}

}  // namespace

JsonRpcLine ParseJsonRpcLine(std::string_view line) {
  JsonRpcLine parsed_line;
  auto fail = [&parsed_line](JsonRpcError error) {
    JsonRpcCall call;
    call.error = std::move(error);
    parsed_line.calls.push_back(std::move(call));
    return std::move(parsed_line);
  };
  // The bounds hold for the whole line, so a batch is no way around them.
  if (auto problem = StructureProblem(line)) return fail(std::move(*problem));
  // Both copies of the line's content are wiped once the requests are built.
  Value envelope;
  crypto::WipedOnExit wipe_envelope(envelope);
  std::string text(line);
  auto parsed = JsonStringToMessage(text, &envelope);
  crypto::WipeString(text);
  if (!parsed.ok()) {
    return fail(MakeError(kJsonRpcParseError,
                          "parse error: " + PrintableAscii(std::string(parsed.message()))));
  }
  if (envelope.kind_case() != Value::kListValue) {
    parsed_line.calls.push_back(ParseCall(envelope));
    return parsed_line;
  }
  // JSON-RPC 2.0 §6: an empty batch is one invalid request, answered by one error.
  if (envelope.list_value().values().empty()) {
    return fail(MakeError(kJsonRpcInvalidRequest, "a batch must hold at least one request"));
  }
  parsed_line.batch = true;
  for (const Value& element : envelope.list_value().values()) {
    parsed_line.calls.push_back(ParseCall(element));
  }
  return parsed_line;
}

JsonRpcCall ParseJsonRpcRequest(std::string_view line) {
  JsonRpcLine parsed = ParseJsonRpcLine(line);
  if (parsed.batch) {
    JsonRpcCall call;
    call.error = MakeError(kJsonRpcInvalidRequest, "a batch where one request was expected");
    return call;
  }
  return std::move(parsed.calls.front());
}

std::string JsonRpcBatchReply(const std::vector<std::string>& replies) {
  std::string line = "[";
  for (const std::string& reply : replies) {
    if (reply.empty()) continue;  // A notification's.
    if (line.size() > 1) line += ',';
    line += reply;
  }
  if (line.size() == 1) return "";
  line += ']';
  return line;
}

std::string JsonRpcReply(std::string_view id_json, const Response& response) {
  if (response.has_error()) {
    const Error& error = response.error();
    JsonRpcError rpc_error{kJsonRpcApplicationErrorBase + static_cast<int>(error.code()),
                           error.message(), error.code_name()};
    if (rpc_error.code_name.empty()) {
      rpc_error.code_name = std::string(CodeName(static_cast<Code>(error.code())));
    }
    return JsonRpcErrorReply(id_json, rpc_error);
  }
  std::string result = "{}";
  const auto* oneof = Response::descriptor()->FindOneofByName(kBodyOneof);
  const google::protobuf::Reflection* reflection = response.GetReflection();
  if (const FieldDescriptor* field = reflection->GetOneofFieldDescriptor(response, oneof)) {
    result = ToJson(reflection->GetMessage(response, field));
  }
  crypto::WipedOnExit wipe_result(result);  // An invite's code, a web device's key...
  return ReplyLine(id_json, "result", result);
}

std::string JsonRpcErrorReply(std::string_view id_json, const JsonRpcError& error) {
  Struct object;
  auto& fields = *object.mutable_fields();
  fields["code"].set_number_value(error.code);
  fields["message"].set_string_value(error.message);
  (*fields["data"].mutable_struct_value()->mutable_fields())["code_name"].set_string_value(
      error.code_name);
  std::string error_json;
  if (!MessageToJsonString(object, &error_json).ok()) {
    // Only a message that is not UTF-8 gets here; the code still tells what failed.
    error_json =
        R"({"code":)" + std::to_string(error.code) + R"json(,"message":"(unprintable)"})json";
  }
  return ReplyLine(id_json, "error", error_json);
}

JsonRpcError JsonRpcApplicationError(const Status& status) {
  return JsonRpcError{kJsonRpcApplicationErrorBase + static_cast<int>(status.code()),
                      status.message(), std::string(CodeName(status.code()))};
}

std::string JsonRpcEventNotification(const Event& event) {
  std::string line = R"({"jsonrpc":"2.0","method":"event","params":)";
  line += ToJson(event);
  line += '}';
  return line;
}

}  // namespace inmost::control
