// `inmost retract ID`: withdraws an envelope of yours that has not been opened.
#include <ostream>

#include "cli/commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "retract", "ID",
    "Withdraws your sealed message ID (--open-at, --open-in, --gentle, --together, or\n"
    "an answer) before it is opened: this daemon destroys its key, your partner's\n"
    "daemon discards its copy, and both sides show it as withdrawn. Once it has been\n"
    "opened, or its key is on its way, it cannot be withdrawn. On a scheduled message\n"
    "(--send-at) that has not left it works as 'inmost cancel'.\n"};

}  // namespace

int RunRetract(CommandContext& context, const CommandArgs& args) {
  uint64_t id = 0;
  if (auto done = context.ParseIdArgs(kUsage, args, &id)) return *done;
  control::Request request;
  request.mutable_retract()->set_id(id);
  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    if (response.retract().message().state() == control::Message::CANCELLED) {
      context.out() << "Scheduled message #" << id << " is cancelled; it will never be sent.\n";
      return;
    }
    context.out() << "Message #" << id
                  << " is withdrawn: it will never be opened, and your partner's copy is "
                     "discarded.\n";
  });
}

}  // namespace inmost::cli
