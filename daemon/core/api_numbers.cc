#include "daemon/core/api_numbers.h"

#include <functional>
#include <vector>

#include "daemon/core/message_view.h"
#include "proto/control.pb.h"

namespace inmost::core {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

using Renumber = std::function<Result<uint64_t>(uint64_t)>;
using Visit = std::function<void(Message&)>;

// Calls `renumber` on every marked field of `message` and of the messages within,
// stopping at its first error; `visit` (if any) first sees each message.
Status Walk(Message& message, const Renumber& renumber, const Visit& visit = nullptr) {
  if (visit) visit(message);
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);  // Only the fields that are set.
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          INMOST_RETURN_IF_ERROR(
              Walk(*reflection->MutableRepeatedMessage(&message, field, i), renumber, visit));
        }
      } else {
        INMOST_RETURN_IF_ERROR(Walk(*reflection->MutableMessage(&message, field), renumber, visit));
      }
      continue;
    }
    if (field->is_repeated() || field->cpp_type() != FieldDescriptor::CPPTYPE_UINT64 ||
        !field->options().GetExtension(control::message_number)) {
      continue;
    }
    uint64_t value = reflection->GetUInt64(message, field);
    if (value == 0) continue;
    INMOST_ASSIGN_OR_RETURN(uint64_t renumbered, renumber(value));
    reflection->SetUInt64(&message, field, renumbered);
  }
  return Status::Ok();
}

}  // namespace

Status NumbersToHistoryIds(const Conversation& conversation, Message& request) {
  return Walk(request, [&](uint64_t number) { return conversation.IdOfNumber(number); });
}

void HistoryIdsToNumbers(const Conversation& conversation, Message& reply) {
  // An id whose entry is gone (it cannot be: entries are only ever replaced) would
  // show as 0, "none", rather than as a number that names another message.
  // A reply's quoted line comes from this side's copy of what it answers, as it is
  // now (forgotten or opened since), while its history id is still at hand.
  auto quote = [&](Message& message) {
    auto* shown = dynamic_cast<control::Message*>(&message);
    if (shown == nullptr || shown->reply_to() == 0 || !shown->quoted().empty()) return;
    auto answered = conversation.Entry(shown->reply_to());
    shown->set_quoted(answered.ok() ? QuotedLine(*answered) : std::string(kQuoteGone));
  };
  Status ignored = Walk(
      reply, [&](uint64_t id) -> Result<uint64_t> { return conversation.NumberOf(id); }, quote);
  (void)ignored;
}

}  // namespace inmost::core
