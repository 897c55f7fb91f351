// `inmost config [KEY [VALUE]]`: your boundaries and preferences, listed, shown or set.
#include <algorithm>
#include <ostream>

#include "cli/commands.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "config", "[KEY [VALUE]]",
    "Lists your settings, shows the one named KEY, or sets KEY to VALUE. Among them:\n"
    "  share-last-seen on|off       your partner sees when you were last here\n"
    "  read-receipts on|off         your partner sees when you have read a message\n"
    "  honour-forget on|off         forget at once what your partner asks you to\n"
    "  nudge-budget N               how many nudges you accept an hour\n"
    "  quiet-hours HH:MM-HH:MM|off  quiet every day: only urgent messages announced\n"
    "  same-moment-seconds N        how close two nudges make a same moment\n"
    "  disappear-after DURATION|off messages sent from now on are deleted on both\n"
    "                               sides this long (1d, 12h, 30m) after they are read\n"
    "  share-typing on|off          your partner sees you writing (and you, them)\n"
    "The daemon knows which settings there are and checks the values; run without\n"
    "arguments to see them all with what each does.\n"};

void PrintSettings(std::ostream& out, const control::ConfigReply& reply) {
  std::vector<std::string> assignments;
  size_t width = 0;
  for (const control::ConfigReply::Setting& setting : reply.settings()) {
    assignments.push_back(OneLine(setting.key()) + " = " + OneLine(setting.value()));
    width = std::max(width, assignments.back().size());
  }
  for (int i = 0; i < reply.settings_size(); ++i) {
    std::string line = assignments[static_cast<size_t>(i)];
    const std::string& description = reply.settings(i).description();
    if (!description.empty()) {
      line.resize(width + 4, ' ');
      line += "# " + OneLine(description);
    }
    out << line << '\n';
  }
}

}  // namespace

int RunConfig(CommandContext& context, const CommandArgs& args) {
  po::options_description positional_options;
  positional_options.add_options()("key", po::value<std::string>(), "The setting.")(
      "value", po::value<std::string>(), "Its new value.");
  po::positional_options_description positional;
  positional.add("key", 1).add("value", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, po::options_description(), positional_options,
                                    positional, &vm)) {
    return *done;
  }
  control::Request request;
  control::ConfigRequest* config = request.mutable_config();
  if (vm.count("key")) {
    config->set_key(vm["key"].as<std::string>());
    if (config->key().empty()) return context.ReportUsageError(kUsage, "KEY is empty");
  }
  if (vm.count("value")) {
    config->set_value(vm["value"].as<std::string>());
    // An empty value would ask to show the setting, not to set it.
    if (config->value().empty()) {
      return context.ReportUsageError(kUsage, "VALUE is empty; to turn a setting off, give off");
    }
  }
  return context.ConnectAndExchange(request, [&context](const control::Response& response) {
    if (response.config().settings_size() == 0) {
      context.out() << "No settings.\n";
      return;
    }
    PrintSettings(context.out(), response.config());
  });
}

}  // namespace inmost::cli
