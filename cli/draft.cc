// `inmost draft [TEXT... | - | --clear]`: the text you are writing and have not sent,
// kept (sealed) by your daemon so that any client can take it up. Never sent.
#include <ostream>

#include "cli/commands.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "draft", "[TEXT... | - | --clear]",
    "Shows the message you started and have not sent, or keeps TEXT as it ('-' reads it\n"
    "from standard input), or with --clear forgets it. Your daemon keeps it sealed like\n"
    "everything else and never sends it: 'inmost chat' (or another client) takes it up\n"
    "where you left it, saves it as you type and clears it once the message is sent.\n"};

}  // namespace

int RunDraft(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("clear", po::bool_switch(), "Forget the draft.");
  po::options_description text_option;
  text_option.add_options()("text", po::value<std::vector<std::string>>(), "The draft.");
  po::positional_options_description positional;
  positional.add("text", -1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, text_option, positional, &vm)) {
    return *done;
  }
  bool clear = vm["clear"].as<bool>();
  control::Request request;
  control::DraftRequest* draft = request.mutable_draft();
  if (vm.count("text")) {
    if (clear) return context.ReportUsageError(kUsage, "give a TEXT or --clear, not both");
    std::string text = context.TextFromWords(vm["text"].as<std::vector<std::string>>());
    if (text.empty()) {
      return context.ReportUsageError(kUsage, "the draft is empty; to forget it, use --clear");
    }
    draft->set_set(true);
    draft->set_text(std::move(text));
  } else if (clear) {
    draft->set_set(true);
  }
  return context.ConnectAndExchange(request, [&context, clear](const control::Response& response) {
    const control::DraftReply& reply = response.draft();
    if (reply.updated_at_unix_ms() == 0) {
      context.out() << (clear ? "Your draft is forgotten.\n" : "No draft.\n");
      return;
    }
    context.out() << "Your draft, as of " << LocalTime(reply.updated_at_unix_ms(), kDateTimeFormat)
                  << ":\n"
                  << TerminalSafe(reply.text()) << '\n';
  });
}

}  // namespace inmost::cli
