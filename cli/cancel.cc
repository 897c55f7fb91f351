// `inmost cancel ID`: cancels a scheduled message before it leaves.
#include <ostream>

#include "cli/commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "cancel", "ID",
    "Cancels your scheduled message ID (sent with --send-at) before it leaves: it is\n"
    "never sent, and your partner never sees anything of it. Once it has left it can\n"
    "no longer be cancelled. (A sealed message is withdrawn with 'inmost retract'.)\n"};

}  // namespace

int RunCancel(CommandContext& context, const CommandArgs& args) {
  uint64_t id = 0;
  if (auto done = context.ParseIdArgs(kUsage, args, &id)) return *done;
  control::Request request;
  request.mutable_retract()->set_id(id);  // The daemon has one request for both.
  request.mutable_retract()->set_scheduled_only(true);
  return context.ConnectAndExchange(request, [&](const control::Response&) {
    context.out() << "Scheduled message #" << id << " is cancelled; it will never be sent.\n";
  });
}

}  // namespace inmost::cli
