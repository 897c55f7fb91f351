// `inmost view ID`: shows a view-once message your partner sent, once. The text is
// only in the daemon's answer; once it is written, both daemons destroy the message.
#include <ostream>

#include "cli/commands.h"
#include "cli/messenger_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "view", "ID",
    "Shows the view-once message ID that your partner sent ('inmost send --view-once'),\n"
    "once: as it is shown, its key and text are destroyed on this machine, and your\n"
    "partner's daemon is told to destroy what it has. It cannot be viewed again, by\n"
    "anyone, and your partner sees it viewed. inmost keeps its text nowhere: not in\n"
    "the history, a backup or an export (the terminal's scrollback is yours to clear).\n"};

}  // namespace

int RunView(CommandContext& context, const CommandArgs& args) {
  uint64_t id = 0;
  if (auto done = context.ParseIdArgs(kUsage, args, &id)) return *done;
  control::Request request;
  request.mutable_view()->set_id(id);
  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    context.out() << FormatViewed(id, response.view());
  });
}

}  // namespace inmost::cli
