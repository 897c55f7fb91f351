// `inmost open ID`: asks the partner's daemon for the key of a gentle message.
#include <ostream>

#include "cli/commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "open", "ID",
    "Opens the gentle message ID that your partner sent: you are ready to read it, so\n"
    "this asks your partner's daemon for its key. It opens as soon as the key arrives\n"
    "(at once while the link is up), and your partner is told that you opened it.\n"
    "Other sealed messages open on their own: at their time, once you both answered,\n"
    "or while you are both here.\n"};

}  // namespace

int RunOpen(CommandContext& context, const CommandArgs& args) {
  uint64_t id = 0;
  if (auto done = context.ParseIdArgs(kUsage, args, &id)) return *done;
  control::Request request;
  request.mutable_open()->set_id(id);
  return context.ConnectAndExchange(request, [&](const control::Response&) {
    context.out() << "Asked your partner's daemon for the key of #" << id
                  << "; it opens as soon as the key arrives (see: inmost history).\n";
  });
}

}  // namespace inmost::cli
