// `inmost quiet DURATION | off`: quiet for a while, or no longer.
#include <ostream>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "quiet", "DURATION | off",
    "Makes you quiet for DURATION (a number with a unit s, m, h, d or w, such as 30m,\n"
    "2h or 1h30m): messages and nudges keep arriving but are not announced, except\n"
    "those your partner marks urgent ('inmost send --urgent'). Your partner sees that\n"
    "you are quiet. When it ends, 'inmost chat' sums up what arrived.\n"
    "'off' ends the quiet now. Quiet hours every day are the setting\n"
    "'inmost config quiet-hours HH:MM-HH:MM'.\n"};

}  // namespace

int RunQuiet(CommandContext& context, const CommandArgs& args) {
  po::options_description duration_option;
  duration_option.add_options()("duration", po::value<std::string>(), "How long, or off.");
  po::positional_options_description positional;
  positional.add("duration", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, po::options_description(), duration_option,
                                    positional, &vm)) {
    return *done;
  }
  if (!vm.count("duration")) {
    return context.ReportUsageError(kUsage, "give how long to be quiet, such as 2h, or off");
  }
  const std::string& duration = vm["duration"].as<std::string>();
  control::Request request;
  if (duration == "off") {
    request.mutable_quiet()->set_end(true);
  } else {
    Result<uint64_t> seconds = ParseDurationSeconds(duration);
    if (!seconds.ok()) return context.ReportUsageError(kUsage, seconds.status().message());
    request.mutable_quiet()->set_for_seconds(*seconds);
  }
  return context.ConnectAndExchange(request, [&context](const control::Response& response) {
    const control::QuietReply& reply = response.quiet();
    if (!reply.quiet()) {
      context.out() << "You are no longer quiet.\n";
    } else if (reply.quiet_until_unix_ms() == 0) {
      context.out() << "You are quiet: only urgent messages are announced.\n";
    } else {
      context.out() << "Quiet until " << LocalTime(reply.quiet_until_unix_ms(), kDateTimeFormat)
                    << " (for " << FormatCountdown(reply.quiet_until_unix_ms() - NowUnixMs())
                    << "): only urgent messages are announced.\n";
    }
  });
}

}  // namespace inmost::cli
