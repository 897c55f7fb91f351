// `inmost recall`: what you two said on this day in earlier years, and a month ago.
#include <ostream>

#include "cli/commands.h"
#include "cli/message_format.h"
#include "cli/text_format.h"
#include "cli/time.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "recall", "[--date YYYY-MM-DD]",
    "Shows what you two said on this day a month ago and in earlier years, the most\n"
    "recent first: each day with how long ago it was, then its messages.\n"};

}  // namespace

int RunRecall(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("date", po::value<std::string>()->value_name("YYYY-MM-DD"),
                        "Recall from another day than today (local time).");
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;
  control::Request request;
  if (vm.count("date")) {
    const std::string& date = vm["date"].as<std::string>();
    if (Status valid = CheckDate(date); !valid.ok()) {
      return context.ReportUsageError(kUsage, "--date: " + valid.message());
    }
    request.mutable_recall()->set_date(date);
  } else {
    request.mutable_recall();
  }
  return context.ConnectAndShow(request, [&context](const control::Response& response,
                                                    const Speakers& speakers) {
    const control::RecallReply& recall = response.recall();
    std::ostream& out = context.out();
    if (recall.days_size() == 0) {
      out << "Nothing to recall: you said nothing on this day a month ago or in earlier years.\n";
      return;
    }
    for (int i = 0; i < recall.days_size(); ++i) {
      const control::RecallReply::Day& day = recall.days(i);
      if (i > 0) out << '\n';
      out << OneLine(day.date());
      if (!day.label().empty()) out << ", " << OneLine(day.label());
      out << ":\n";
      for (const control::Message& message : day.messages()) {
        out << "  " << FormatMessage(message, "%H:%M", speakers) << '\n';
      }
    }
  });
}

}  // namespace inmost::cli
