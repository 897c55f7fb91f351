#include "daemon/codec/control/json_rpc.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace inmost::control {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Parses a reply line back into a Struct so tests check structure, not spelling.
Struct ParseLine(const std::string& line) {
  Struct object;
  auto status = google::protobuf::util::JsonStringToMessage(line, &object);
  EXPECT_TRUE(status.ok()) << "not JSON: " << line;
  return object;
}

const Value& Field(const Struct& object, const std::string& name) {
  static const Value kMissing;
  auto it = object.fields().find(name);
  EXPECT_NE(it, object.fields().end()) << "no member " << name;
  return it == object.fields().end() ? kMissing : it->second;
}

int ErrorCode(const JsonRpcCall& call) {
  return call.error ? call.error->code : 0;
}

TEST(JsonRpcParse, ValidRequestBecomesRequest) {
  JsonRpcCall call =
      ParseJsonRpcRequest(R"({"jsonrpc":"2.0","id":7,"method":"send","params":{"text":"hi"}})");
  ASSERT_FALSE(call.error) << call.error->message;
  EXPECT_FALSE(call.notification);
  EXPECT_EQ(call.id_json, "7");
  ASSERT_TRUE(call.request.has_send());
  EXPECT_EQ(call.request.send().text(), "hi");
}

TEST(JsonRpcParse, ParamsAreOptional) {
  JsonRpcCall call = ParseJsonRpcRequest(R"({"jsonrpc":"2.0","id":1,"method":"status"})");
  ASSERT_FALSE(call.error);
  EXPECT_TRUE(call.request.has_status());

  call = ParseJsonRpcRequest(R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":null})");
  ASSERT_FALSE(call.error);
  EXPECT_TRUE(call.request.has_subscribe());
}

TEST(JsonRpcParse, IntegersAsNumbersOrStrings) {
  JsonRpcCall call = ParseJsonRpcRequest(
      R"({"jsonrpc":"2.0","id":1,"method":"history","params":{"limit":5,"before_id":"123"}})");
  ASSERT_FALSE(call.error) << call.error->message;
  EXPECT_EQ(call.request.history().limit(), 5u);
  EXPECT_EQ(call.request.history().before_id(), 123u);
}

TEST(JsonRpcParse, MultiWordMethodUsesProtoFieldName) {
  JsonRpcCall call = ParseJsonRpcRequest(
      R"({"jsonrpc":"2.0","id":1,"method":"mark_read","params":{"up_to_id":"9"}})");
  ASSERT_FALSE(call.error);
  EXPECT_EQ(call.request.mark_read().up_to_id(), 9u);
}

TEST(JsonRpcParse, UnknownParamsFieldsAreIgnored) {
  JsonRpcCall call = ParseJsonRpcRequest(
      R"({"jsonrpc":"2.0","id":1,"method":"send","params":{"text":"hi","from_the_future":{"x":[1]}}})");
  ASSERT_FALSE(call.error) << call.error->message;
  EXPECT_EQ(call.request.send().text(), "hi");
}

TEST(JsonRpcParse, IdIsEchoedAsNumberStringOrNull) {
  EXPECT_EQ(ParseJsonRpcRequest(R"({"jsonrpc":"2.0","id":42,"method":"status"})").id_json, "42");
  EXPECT_EQ(ParseJsonRpcRequest(R"({"jsonrpc":"2.0","id":"abc","method":"status"})").id_json,
            "\"abc\"");
  JsonRpcCall null_id = ParseJsonRpcRequest(R"({"jsonrpc":"2.0","id":null,"method":"status"})");
  EXPECT_EQ(null_id.id_json, "null");
  EXPECT_FALSE(null_id.notification);
}

TEST(JsonRpcParse, NoIdMeansNotification) {
  JsonRpcCall call = ParseJsonRpcRequest(R"({"jsonrpc":"2.0","method":"status"})");
  ASSERT_FALSE(call.error);
  EXPECT_TRUE(call.notification);
  // Errors past the envelope are not replied to a notification either.
  call = ParseJsonRpcRequest(R"({"jsonrpc":"2.0","method":"no_such_method"})");
  EXPECT_EQ(ErrorCode(call), kJsonRpcMethodNotFound);
  EXPECT_TRUE(call.notification);
}

TEST(JsonRpcParse, ParseErrors) {
  for (const char* line : {"not json", "{", R"({"jsonrpc":"2.0" "id":1})", "", "\"unterminated"}) {
    JsonRpcCall call = ParseJsonRpcRequest(line);
    EXPECT_EQ(ErrorCode(call), kJsonRpcParseError) << line;
    EXPECT_EQ(call.id_json, "null");
    EXPECT_FALSE(call.notification);
    EXPECT_EQ(call.error->code_name, "parse_error");
  }
}

TEST(JsonRpcParse, InvalidRequests) {
  struct Case {
    const char* line;
    const char* id_json;
  };
  for (const Case& c : {
           Case{"42", "null"},
           Case{R"("status")", "null"},
           Case{R"([{"jsonrpc":"2.0","id":1,"method":"status"}])", "null"},
           Case{R"({"id":3,"method":"status"})", "3"},
           Case{R"({"jsonrpc":"1.0","id":3,"method":"status"})", "3"},
           Case{R"({"jsonrpc":2.0,"id":3,"method":"status"})", "3"},
           Case{R"({"jsonrpc":"2.0","id":3})", "3"},
           Case{R"({"jsonrpc":"2.0","id":3,"method":17})", "3"},
           Case{R"({"jsonrpc":"2.0","id":{"a":1},"method":"status"})", "null"},
           Case{R"({"jsonrpc":"2.0","id":true,"method":"status"})", "null"},
       }) {
    JsonRpcCall call = ParseJsonRpcRequest(c.line);
    EXPECT_EQ(ErrorCode(call), kJsonRpcInvalidRequest) << c.line;
    EXPECT_EQ(call.id_json, c.id_json) << c.line;
    EXPECT_FALSE(call.notification) << c.line;
  }
}

TEST(JsonRpcParse, MethodNotFound) {
  // "id" is a field of Request but not of its body: not a method.
  for (const char* method : {"no_such_method", "id", "Status", ""}) {
    std::string line = std::string(R"({"jsonrpc":"2.0","id":1,"method":")") + method + "\"}";
    JsonRpcCall call = ParseJsonRpcRequest(line);
    EXPECT_EQ(ErrorCode(call), kJsonRpcMethodNotFound) << method;
    EXPECT_EQ(call.id_json, "1");
  }
}

TEST(JsonRpcParse, InvalidParams) {
  for (const char* params :
       {R"(["hi"])", R"("hi")", R"({"limit":"many"})", R"({"limit":-1})", R"({"limit":{"x":1}})"}) {
    std::string line =
        std::string(R"({"jsonrpc":"2.0","id":1,"method":"history","params":)") + params + "}";
    JsonRpcCall call = ParseJsonRpcRequest(line);
    EXPECT_EQ(ErrorCode(call), kJsonRpcInvalidParams) << params;
    EXPECT_EQ(call.error->code_name, "invalid_params");
  }
}

// ---- the shape limits (issue 16) ---------------------------------------------------
// A line of 50,000 nested '[' (100 KB) held protobuf's parser, and so the daemon's io
// thread, for minutes; 8,000 levels took 1.8 s. Lines past kMaxJsonDepth levels or
// kMaxJsonValues values are now refused by a scan of the raw line, before parsing.

std::string NestedArrays(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::string NestedObjects(size_t depth) {
  std::string text;
  text.reserve(depth * 6 + 1);
  for (size_t i = 0; i < depth; ++i) text += R"({"a":)";
  text += '1';
  text.append(depth, '}');
  return text;
}

// A status request carrying `value` as an unknown params member, at depth 2.
std::string StatusWithExtra(const std::string& value) {
  return R"({"jsonrpc":"2.0","id":1,"method":"status","params":{"x":)" + value + "}}";
}

bool Mentions(const JsonRpcCall& call, const std::string& text) {
  return call.error && call.error->message.find(text) != std::string::npos;
}

const std::string kTooDeep = std::to_string(kMaxJsonDepth) + " levels deep";
const std::string kTooMany = std::to_string(kMaxJsonValues) + " array elements";

TEST(JsonRpcLimits, DeepNestingIsRefusedUnparsedAtOnce) {
  for (size_t depth : {100, 10'000, 500'000}) {
    for (const std::string& line :
         {NestedArrays(depth), NestedObjects(depth), StatusWithExtra(NestedArrays(depth)),
          StatusWithExtra(NestedObjects(depth))}) {
      auto start = std::chrono::steady_clock::now();
      JsonRpcCall call = ParseJsonRpcRequest(line);
      auto took = std::chrono::steady_clock::now() - start;
      // ASSERT: the old parser would take minutes over the deeper lines that follow.
      ASSERT_TRUE(Mentions(call, kTooDeep))
          << depth << ": " << call.error.value_or(JsonRpcError{}).message;
      EXPECT_EQ(call.error->code, kJsonRpcParseError);
      EXPECT_EQ(call.error->code_name, "parse_error");
      EXPECT_EQ(call.id_json, "null");
      EXPECT_FALSE(call.notification);
      // Refused after reading kMaxJsonDepth + 1 brackets: microseconds (generous for sanitizers).
      EXPECT_LT(took, std::chrono::milliseconds(100)) << depth;
    }
  }
}

TEST(JsonRpcLimits, DepthLimitIsExact) {
  // The request's object and its params are two levels.
  for (auto nested : {&NestedArrays, &NestedObjects}) {
    JsonRpcCall call = ParseJsonRpcRequest(StatusWithExtra(nested(kMaxJsonDepth - 2)));
    EXPECT_FALSE(call.error) << call.error->message;
    EXPECT_TRUE(call.request.has_status());
    call = ParseJsonRpcRequest(StatusWithExtra(nested(kMaxJsonDepth - 1)));
    EXPECT_TRUE(Mentions(call, kTooDeep));
  }
  // Closed brackets no longer count.
  std::string siblings = "[";
  for (int i = 0; i < 50; ++i) siblings += NestedArrays(kMaxJsonDepth - 3) + ",";
  siblings += "1]";
  JsonRpcCall call = ParseJsonRpcRequest(StatusWithExtra(siblings));
  EXPECT_FALSE(call.error) << call.error->message;
}

TEST(JsonRpcLimits, BracketsInStringsDoNotCount) {
  // Texts may hold any brackets and commas; escaped quotes do not end a string.
  std::string text = std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "it's" +
                     std::string(kMaxJsonValues + 10, ',');
  JsonRpcCall call = ParseJsonRpcRequest(
      R"({"jsonrpc":"2.0","id":1,"method":"send","params":{"text":")" + text + "\"}}");
  ASSERT_FALSE(call.error) << call.error->message;
  EXPECT_EQ(call.request.send().text().size(), 2000 + 1 + 4 + kMaxJsonValues + 10);
  // protobuf's parser also takes single-quoted strings: a " inside one hides nothing.
  call = ParseJsonRpcRequest(StatusWithExtra("['\"', " + NestedArrays(100) + ", '\"']"));
  EXPECT_TRUE(Mentions(call, kTooDeep));
  call = ParseJsonRpcRequest(StatusWithExtra(R"(['it\'s', "\\", )" + NestedArrays(100) + "]"));
  EXPECT_TRUE(Mentions(call, kTooDeep));
  // ... and they are scanned as strings too.
  call = ParseJsonRpcRequest(StatusWithExtra("'" + NestedArrays(100) + "'"));
  EXPECT_FALSE(call.error) << call.error->message;
}

TEST(JsonRpcLimits, TooManyValuesAreRefusedUnparsed) {
  auto ones = [](size_t count) {
    std::string list = "[";
    for (size_t i = 0; i < count; ++i) list += i == 0 ? "1" : ",1";
    return list + "]";
  };
  // The request's own members (jsonrpc, id, method, params, x) count too.
  JsonRpcCall call = ParseJsonRpcRequest(StatusWithExtra(ones(kMaxJsonValues - 5)));
  EXPECT_FALSE(call.error) << call.error->message;
  call = ParseJsonRpcRequest(StatusWithExtra(ones(kMaxJsonValues - 4)));
  EXPECT_TRUE(Mentions(call, kTooMany)) << call.error.value_or(JsonRpcError{}).message;
  EXPECT_EQ(ErrorCode(call), kJsonRpcParseError);

  // Members count as elements do; empty containers hold none.
  std::string members = "{";
  for (size_t i = 0; i < kMaxJsonValues; ++i) members += "\"k" + std::to_string(i) + "\":{},";
  members += "\"z\":[]}";
  call = ParseJsonRpcRequest(StatusWithExtra(members));
  EXPECT_TRUE(Mentions(call, kTooMany));

  // Nearly a megabyte of ones (the size limit is 1 MiB) took the old parser most of
  // a second; it is refused at the first value past the limit.
  std::string megabyte = StatusWithExtra(ones(500'000));
  auto start = std::chrono::steady_clock::now();
  call = ParseJsonRpcRequest(megabyte);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(Mentions(call, kTooMany));
  EXPECT_LT(took, std::chrono::milliseconds(100));
}

TEST(JsonRpcReply, ResultIsTheReplyBodyWithEveryField) {
  Response response;
  response.mutable_send()->set_id(42);
  Struct reply = ParseLine(JsonRpcReply("7", response));
  EXPECT_EQ(Field(reply, "jsonrpc").string_value(), "2.0");
  EXPECT_EQ(Field(reply, "id").number_value(), 7);
  EXPECT_EQ(reply.fields().count("error"), 0u);
  const Struct& result = Field(reply, "result").struct_value();
  // 64-bit integers are strings in protobuf's JSON mapping; zeros are printed too.
  EXPECT_EQ(Field(result, "id").string_value(), "42");
  EXPECT_EQ(Field(result, "sent_at_unix_ms").string_value(), "0");
}

TEST(JsonRpcReply, ProtoFieldNamesAndStringIds) {
  Response response;
  response.mutable_status()->set_partner_fingerprint("abc");
  Struct reply = ParseLine(JsonRpcReply("\"req-1\"", response));
  EXPECT_EQ(Field(reply, "id").string_value(), "req-1");
  const Struct& result = Field(reply, "result").struct_value();
  EXPECT_EQ(Field(result, "partner_fingerprint").string_value(), "abc");
  EXPECT_EQ(Field(result, "link_up").bool_value(), false);
  EXPECT_EQ(Field(result, "partner_addresses").list_value().values_size(), 0);
}

TEST(JsonRpcReply, EmptyReplyIsAnEmptyObject) {
  Response response;
  response.mutable_open();
  Struct reply = ParseLine(JsonRpcReply("1", response));
  EXPECT_TRUE(Field(reply, "result").has_struct_value());
  EXPECT_EQ(Field(reply, "result").struct_value().fields_size(), 0);
}

TEST(JsonRpcReply, ApplicationErrorIs1000PlusCode) {
  Response response;
  response.mutable_error()->set_code(static_cast<uint32_t>(Code::kNotFound));
  response.mutable_error()->set_message("no \"partner\"\nyet");  // Escaping must hold.
  Struct reply = ParseLine(JsonRpcReply("null", response));
  EXPECT_EQ(Field(reply, "id").kind_case(), Value::kNullValue);
  EXPECT_EQ(reply.fields().count("result"), 0u);
  const Struct& error = Field(reply, "error").struct_value();
  EXPECT_EQ(Field(error, "code").number_value(), 1002);
  EXPECT_EQ(Field(error, "message").string_value(), "no \"partner\"\nyet");
  EXPECT_EQ(Field(Field(error, "data").struct_value(), "code_name").string_value(), "not_found");
}

TEST(JsonRpcReply, EnvelopeErrorShape) {
  JsonRpcCall call = ParseJsonRpcRequest(R"({"jsonrpc":"2.0","id":"x","method":"nope"})");
  ASSERT_TRUE(call.error);
  Struct reply = ParseLine(JsonRpcErrorReply(call.id_json, *call.error));
  EXPECT_EQ(Field(reply, "jsonrpc").string_value(), "2.0");
  EXPECT_EQ(Field(reply, "id").string_value(), "x");
  const Struct& error = Field(reply, "error").struct_value();
  EXPECT_EQ(Field(error, "code").number_value(), -32601);
  EXPECT_EQ(Field(Field(error, "data").struct_value(), "code_name").string_value(),
            "method_not_found");
}

TEST(JsonRpcReply, ApplicationErrorFromStatus) {
  JsonRpcError error = JsonRpcApplicationError(ResourceExhausted("too big"));
  EXPECT_EQ(error.code, 1011);
  EXPECT_EQ(error.code_name, "resource_exhausted");
  EXPECT_EQ(error.message, "too big");
}

TEST(JsonRpcEvent, NotificationCarriesTheEvent) {
  Event event;
  event.set_at_unix_ms(5);
  Message* message = event.mutable_message_received()->mutable_message();
  message->set_id(3);
  message->set_text("hello");
  message->set_direction(Message::INCOMING);
  std::string line = JsonRpcEventNotification(event);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  Struct notification = ParseLine(line);
  EXPECT_EQ(Field(notification, "jsonrpc").string_value(), "2.0");
  EXPECT_EQ(Field(notification, "method").string_value(), "event");
  EXPECT_EQ(notification.fields().count("id"), 0u);
  const Struct& params = Field(notification, "params").struct_value();
  EXPECT_EQ(Field(params, "at_unix_ms").string_value(), "5");
  const Struct& received =
      Field(Field(params, "message_received").struct_value(), "message").struct_value();
  EXPECT_EQ(Field(received, "text").string_value(), "hello");
  EXPECT_EQ(Field(received, "direction").string_value(), "INCOMING");
}

TEST(JsonRpcBatch, ABatchIsItsRequestsInOrder) {
  JsonRpcLine line = ParseJsonRpcLine(R"([{"jsonrpc":"2.0","id":1,"method":"status"},)"
                                      R"({"jsonrpc":"2.0","method":"send","params":{"text":"hi"}},)"
                                      R"(42,)"
                                      R"({"jsonrpc":"2.0","id":"x","method":"nope"}])");
  ASSERT_TRUE(line.batch);
  ASSERT_EQ(line.calls.size(), 4u);
  EXPECT_FALSE(line.calls[0].error);
  EXPECT_TRUE(line.calls[0].request.has_status());
  EXPECT_EQ(line.calls[0].id_json, "1");
  EXPECT_TRUE(line.calls[1].notification);
  EXPECT_EQ(line.calls[1].request.send().text(), "hi");
  EXPECT_EQ(ErrorCode(line.calls[2]), kJsonRpcInvalidRequest);  // Not an object.
  EXPECT_FALSE(line.calls[2].notification);
  EXPECT_EQ(ErrorCode(line.calls[3]), kJsonRpcMethodNotFound);
  EXPECT_EQ(line.calls[3].id_json, "\"x\"");
}

TEST(JsonRpcBatch, AnEmptyBatchIsOneInvalidRequest) {
  JsonRpcLine line = ParseJsonRpcLine(" [ ] ");
  EXPECT_FALSE(line.batch);  // Answered by one error object, not an array.
  ASSERT_EQ(line.calls.size(), 1u);
  EXPECT_EQ(ErrorCode(line.calls[0]), kJsonRpcInvalidRequest);
  EXPECT_EQ(line.calls[0].id_json, "null");
}

TEST(JsonRpcBatch, TheBoundsHoldForTheWholeLine) {
  std::string batch = "[";
  for (size_t i = 0; i < kMaxJsonValues / 2; ++i) {
    batch += R"({"jsonrpc":"2.0","id":1,"method":"status"},)";
  }
  batch += R"({"jsonrpc":"2.0","id":1,"method":"status"}])";
  JsonRpcLine line = ParseJsonRpcLine(batch);
  EXPECT_FALSE(line.batch);
  ASSERT_EQ(line.calls.size(), 1u);
  EXPECT_EQ(ErrorCode(line.calls[0]), kJsonRpcParseError);
  line = ParseJsonRpcLine("[" + NestedArrays(kMaxJsonDepth) + "]");
  ASSERT_EQ(line.calls.size(), 1u);
  EXPECT_EQ(ErrorCode(line.calls[0]), kJsonRpcParseError);
}

TEST(JsonRpcBatch, RepliesJoinInOrderWithoutNotifications) {
  EXPECT_EQ(JsonRpcBatchReply({R"({"id":1})", "", R"({"id":2})"}), R"([{"id":1},{"id":2}])");
  EXPECT_EQ(JsonRpcBatchReply({"", ""}), "");
}

}  // namespace
}  // namespace inmost::control
