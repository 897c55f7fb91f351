// `inmost nudge [KIND]`: a wordless signal to the partner (a hug, a goodnight ...).
#include <ostream>

#include "cli/commands.h"
#include "cli/nudge_kind.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "nudge", "[KIND]",
    "Sends your partner a nudge: a signal without words. KIND is one of\n"
    "thinking-of-you (the default), hug, kiss, laugh, missing-you or goodnight.\n"
    "While the link is up it arrives at once; while it is down it waits, and several\n"
    "of one kind travel as one with a count (\"hug ×3\"). If you both nudge within a\n"
    "few seconds of each other, you both see a same moment.\n"
    "Your partner sets how many nudges they accept an hour (their nudge budget, see\n"
    "'inmost presence'); beyond it a nudge is refused. In their quiet hours it is\n"
    "kept for them, not announced.\n"};

}  // namespace

int RunNudge(CommandContext& context, const CommandArgs& args) {
  po::options_description kind_option;
  kind_option.add_options()("kind", po::value<std::string>(), "The kind of nudge.");
  po::positional_options_description positional;
  positional.add("kind", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, po::options_description(), kind_option,
                                    positional, &vm)) {
    return *done;
  }
  control::Nudge::Kind kind = control::Nudge::THINKING_OF_YOU;
  if (vm.count("kind")) {
    Result<control::Nudge::Kind> parsed = ParseNudgeKind(vm["kind"].as<std::string>());
    if (!parsed.ok()) return context.ReportUsageError(kUsage, parsed.status().message());
    kind = *parsed;
  }

  control::Request request;
  request.mutable_nudge()->set_kind(kind);
  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    const control::NudgeReply& reply = response.nudge();
    std::string what = "a " + std::string(NudgeKindName(kind));
    if (!reply.queued()) {
      context.out() << "Sent " << what << ".\n";
      return;
    }
    context.out() << "Queued " << what;
    if (reply.count() > 1) context.out() << " (×" << reply.count() << ')';
    context.out() << ": your partner is offline; it goes when the link is back.\n";
  });
}

}  // namespace inmost::cli
