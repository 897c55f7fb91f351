#include "web/server/owner_only_methods.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <array>

namespace inmost::web {
namespace {

using google::protobuf::Value;

constexpr std::array<std::string_view, 2> kOwnerOnly = {"web_onion", "web_devices"};

std::optional<std::string> MethodOf(const Value& call) {
  if (call.kind_case() != Value::kStructValue) return std::nullopt;
  const auto& fields = call.struct_value().fields();
  auto method = fields.find("method");
  if (method == fields.end() || method->second.kind_case() != Value::kStringValue) {
    return std::nullopt;
  }
  for (std::string_view refused : kOwnerOnly) {
    if (method->second.string_value() == refused) return std::string(refused);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> OwnerOnlyMethod(std::string_view line) {
  Value envelope;
  if (!google::protobuf::util::JsonStringToMessage(std::string(line), &envelope).ok()) {
    return std::nullopt;
  }
  if (envelope.kind_case() != Value::kListValue) return MethodOf(envelope);
  for (const Value& call : envelope.list_value().values()) {
    if (auto method = MethodOf(call)) return method;
  }
  return std::nullopt;
}

}  // namespace inmost::web
