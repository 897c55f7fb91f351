// `inmost read`: marks received messages as read (and tells the partner).
#include <ostream>

#include "cli/commands.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "read", "[--up-to ID]",
    "Marks received messages as read, all of them unless --up-to is given. Your\n"
    "partner sees them as read.\n"};

}  // namespace

int RunRead(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("up-to", po::value<uint64_t>()->value_name("ID"),
                        "Only messages up to and including message ID.");
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;

  control::Request request;
  request.mutable_mark_read()->set_up_to_id(vm.count("up-to") ? vm["up-to"].as<uint64_t>() : 0);
  return context.ConnectAndExchange(request, [&context](const control::Response& response) {
    uint64_t marked = response.mark_read().marked();
    context.out() << "Marked " << Count(marked, "message") << " as read.\n";
  });
}

}  // namespace inmost::cli
