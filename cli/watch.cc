// `inmost watch`: streams the daemon's events as JSON lines, for scripts.
#include <ostream>

#include "cli/commands.h"
#include "cli/exit_code.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "watch", "[--present]",
    "Subscribes to the daemon's events and prints each as one line of JSON (protobuf's\n"
    "JSON mapping of inmost.control.Event, whatever --json says), until interrupted.\n"
    "Events: message_received, delivered, read, link_up, link_down, paired, changed\n"
    "(a message changed: an envelope, question or scheduled message changed state, a\n"
    "reaction, a pin, a forget; its whole new view), partner_presence, same_moment\n"
    "(you both nudged at once), quiet_summary (your quiet ended: what arrived during\n"
    "it), partner_changed (what your partner shows, or their boundaries, changed),\n"
    "transfer (a file moved on, a few times a second at most, or finished or failed),\n"
    "partner_typing (your partner is writing, or stopped) and draft (your draft\n"
    "changed, in this client or another).\n"
    "When the daemon goes away the command ends with exit code 3.\n"};

}  // namespace

int RunWatch(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("present", po::bool_switch(),
                        "Count as here while watching, as 'inmost chat' does: what messages "
                        "sent with --together wait for. Your partner sees it.");
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;

  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  control::Request request;
  request.mutable_subscribe()->set_present(vm["present"].as<bool>());
  Result<control::Response> reply = client->Exchange(request);
  if (!reply.ok()) return context.ReportUnreachable(reply.status());
  if (reply->has_error()) return context.ReportDaemonError(reply->error());
  while (true) {
    Result<control::Event> event = client->NextEvent();
    if (!event.ok()) return context.ReportUnreachable(event.status());
    context.PrintJsonLine(*event);
    if (!context.out()) return kExitOk;  // Our reader went away (a closed pipe).
  }
}

}  // namespace inmost::cli
