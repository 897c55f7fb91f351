// `inmost unpin ID`: a message is no longer a shared memory.
#include <ostream>

#include "cli/commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "unpin", "ID",
    "Unpins message ID: it is no longer a shared memory, on either side. The message\n"
    "itself stays.\n"};

}  // namespace

int RunUnpin(CommandContext& context, const CommandArgs& args) {
  uint64_t id = 0;
  if (auto done = context.ParseIdArgs(kUsage, args, &id)) return *done;
  control::Request request;
  request.mutable_pin()->set_id(id);
  request.mutable_pin()->set_unpin(true);
  return context.ConnectAndExchange(request, [&](const control::Response&) {
    context.out() << "Unpinned #" << id << ": it is no longer among your memories.\n";
  });
}

}  // namespace inmost::cli
