// `inmost versions ID`: every text a message has had, oldest first, the current one
// marked. Both sides keep them all, so an edit can always be checked.
#include <ostream>

#include "cli/commands.h"
#include "cli/messenger_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "versions", "ID",
    "Shows every text message ID has had, yours or your partner's, oldest first, each\n"
    "with when it was written (by its sender's clock); the last is the one shown now.\n"
    "Both daemons keep every version of an edited message ('inmost edit').\n"};

}  // namespace

int RunVersions(CommandContext& context, const CommandArgs& args) {
  uint64_t id = 0;
  if (auto done = context.ParseIdArgs(kUsage, args, &id)) return *done;
  control::Request request;
  request.mutable_versions()->set_id(id);
  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    context.out() << FormatVersions(id, response.versions(), kDateTimeFormat);
  });
}

}  // namespace inmost::cli
