// `inmost pin ID`: keeps a message as a shared memory.
#include <ostream>

#include "cli/commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "pin", "ID [--anyway]",
    "Pins message ID, yours or your partner's, as a shared memory: it is pinned on\n"
    "both sides, marked 📌 in the history and listed by 'inmost memories'.\n"
    "'inmost unpin ID' takes it off again (on both sides).\n"
    "A message that disappears ('inmost config disappear-after') takes its pin with\n"
    "it: pinning one is refused unless you say --anyway.\n"};

}  // namespace

int RunPin(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("anyway", po::bool_switch(),
                        "Pin a disappearing message, knowing the pin disappears with it.");
  po::options_description id_option;
  id_option.add_options()("id", po::value<std::string>(), "The message's id.");
  po::positional_options_description positional;
  positional.add("id", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, id_option, positional, &vm)) {
    return *done;
  }
  uint64_t id = 0;
  if (auto done = context.ReadIdArg(kUsage, vm, &id)) return *done;
  const bool anyway = vm["anyway"].as<bool>();
  control::Request request;
  request.mutable_pin()->set_id(id);
  request.mutable_pin()->set_anyway(anyway);
  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    context.out() << "Pinned #" << id << ": it is a shared memory now, on both sides ('inmost "
                  << "memories' lists them).\n";
    if (response.pin().message().disappear_after_ms() != 0) {
      context.out() << "It still disappears as set, and its pin with it.\n";
    }
  });
}

}  // namespace inmost::cli
