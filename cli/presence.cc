// `inmost presence [here|away|quiet|hidden]`: what you show your partner, and what
// they show you.
#include <ostream>

#include "cli/commands.h"
#include "cli/presence_view.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "presence", "[here|away|quiet|hidden]",
    "Sets what your partner sees of you, then shows what each of you shows the other;\n"
    "without an argument it only shows.\n"
    "  here    your partner sees when you have a chat open, and when you were last\n"
    "          seen if you share it (see 'inmost config share-last-seen').\n"
    "  away    you are away.\n"
    "  quiet   you would rather not be disturbed.\n"
    "  hidden  you share nothing, not even when you were last seen.\n"
    "It is reciprocal: you see your partner's last seen only while you share yours,\n"
    "and nothing of them while you are hidden. Their boundaries (read receipts,\n"
    "whether they forget what you ask them to, their nudge budget) are shown too.\n"};

void PrintPresence(std::ostream& out, const control::PresenceReply& reply) {
  out << FieldLine("You show", std::string(PresenceChoiceName(reply.choice())) +
                                   (reply.share_last_seen() ? ", and your last seen"
                                                            : "; your last seen is not shared"))
      << '\n';
  YourSharing yours{.known = true,
                    .hidden = reply.choice() == control::Presence::HIDDEN,
                    .share_last_seen = reply.share_last_seen()};
  for (const Field& field : PartnerViewFields(reply.partner(), yours)) {
    out << FieldLine(field.label, field.value) << '\n';
  }
}

}  // namespace

int RunPresence(CommandContext& context, const CommandArgs& args) {
  po::options_description choice_option;
  choice_option.add_options()("choice", po::value<std::string>(), "What to show.");
  po::positional_options_description positional;
  positional.add("choice", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, po::options_description(), choice_option,
                                    positional, &vm)) {
    return *done;
  }
  control::Request request;
  control::PresenceRequest* presence = request.mutable_presence();
  if (vm.count("choice")) {
    Result<control::Presence::Choice> choice = ParsePresenceChoice(vm["choice"].as<std::string>());
    if (!choice.ok()) return context.ReportUsageError(kUsage, choice.status().message());
    presence->set_choice(*choice);
  }
  return context.ConnectAndExchange(request, [&context](const control::Response& response) {
    PrintPresence(context.out(), response.presence());
  });
}

}  // namespace inmost::cli
