// `inmost pin ID`: keeps a message as a shared memory.
#include <ostream>

#include "cli/commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "pin", "ID",
    "Pins message ID, yours or your partner's, as a shared memory: it is pinned on\n"
    "both sides, marked 📌 in the history and listed by 'inmost memories'.\n"
    "'inmost unpin ID' takes it off again (on both sides).\n"};

}  // namespace

int RunPin(CommandContext& context, const CommandArgs& args) {
  uint64_t id = 0;
  if (auto done = context.ParseIdArgs(kUsage, args, &id)) return *done;
  control::Request request;
  request.mutable_pin()->set_id(id);
  return context.ConnectAndExchange(request, [&](const control::Response&) {
    context.out() << "Pinned #" << id << ": it is a shared memory now, on both sides ('inmost "
                  << "memories' lists them).\n";
  });
}

}  // namespace inmost::cli
