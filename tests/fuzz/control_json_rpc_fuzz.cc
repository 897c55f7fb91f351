// Fuzzes the JSON-RPC face of the control API with what a local client could send,
// split into lines as the session splits them: parsing must never crash, every reply
// it leads to must be one line of valid JSON, and an accepted request must survive
// being written as JSON-RPC again and parsed back unchanged.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/codec/control/json_rpc.h"

namespace {

using google::protobuf::Value;
using google::protobuf::util::JsonStringToMessage;

void Check(bool condition) {
  if (!condition) std::abort();
}

// One reply line: no newline inside, a JSON object with "jsonrpc":"2.0".
void CheckReplyLine(const std::string& line) {
  Check(line.find('\n') == std::string::npos);
  Value value;
  Check(JsonStringToMessage(line, &value).ok());
  Check(value.kind_case() == Value::kStructValue);
  const auto& fields = value.struct_value().fields();
  auto version = fields.find("jsonrpc");
  Check(version != fields.end() && version->second.string_value() == "2.0");
  Check(fields.count("id") == 1);
}

std::string Deterministic(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  Check(message.SerializeToCodedStream(&out));
  out.Trim();
  return bytes;
}

// Writes the accepted request as a JSON-RPC line again and parses it back. The line
// has an id only if the original had one, so it never holds more values than the
// original (the parser refuses lines past kMaxJsonValues unparsed).
void CheckRoundTrip(const inmost::control::Request& request, bool notification) {
  using google::protobuf::FieldDescriptor;
  const auto* reflection = request.GetReflection();
  const auto* oneof = inmost::control::Request::descriptor()->FindOneofByName("body");
  const FieldDescriptor* field = reflection->GetOneofFieldDescriptor(request, oneof);
  Check(field != nullptr);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string params;
  Check(google::protobuf::util::MessageToJsonString(reflection->GetMessage(request, field), &params,
                                                    options)
            .ok());
  const std::string line = std::string(R"({"jsonrpc":"2.0",)") +
                           (notification ? "" : R"("id":1,)") + R"("method":")" + field->name() +
                           R"(","params":)" + params + "}";
  auto again = inmost::control::ParseJsonRpcRequest(line);
  Check(!again.error && again.notification == notification &&
        again.id_json == (notification ? "null" : "1"));
  Check(Deterministic(again.request) == Deterministic(request));
}

void ParseLine(std::string_view line) {
  using namespace inmost::control;  // NOLINT(google-build-using-namespace): a tiny helper.
  // The session skips blank lines without parsing them.
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
  // A batch (or a single request) is at least one call, each an error or a request.
  const JsonRpcLine whole = ParseJsonRpcLine(line);
  Check(!whole.calls.empty());
  for (const JsonRpcCall& part : whole.calls) {
    Check(part.error.has_value() || part.request.body_case() != Request::BODY_NOT_SET);
  }
  JsonRpcCall call = ParseJsonRpcRequest(line);
  Value id;
  Check(JsonStringToMessage(call.id_json, &id).ok());
  if (call.error) {
    const int code = call.error->code;
    Check(code == kJsonRpcParseError || code == kJsonRpcInvalidRequest ||
          code == kJsonRpcMethodNotFound || code == kJsonRpcInvalidParams);
    Check(!call.error->message.empty() && !call.error->code_name.empty());
    CheckReplyLine(JsonRpcErrorReply(call.id_json, *call.error));
    return;
  }
  Check(call.request.body_case() != Request::BODY_NOT_SET);
  // What the session would answer, as an error and as an empty body.
  Response response;
  response.set_id(call.request.id());
  CheckReplyLine(JsonRpcReply(call.id_json, response));
  response.mutable_error()->set_code(static_cast<uint32_t>(inmost::Code::kInvalidArgument));
  response.mutable_error()->set_message("the request is refused");
  CheckReplyLine(JsonRpcReply(call.id_json, response));
  CheckRoundTrip(call.request, call.notification);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const size_t newline = input.find('\n');
    ParseLine(input.substr(0, newline));
    if (newline == std::string_view::npos) break;
    input.remove_prefix(newline + 1);
  }
  return 0;
}
