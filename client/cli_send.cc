// `inmost send TEXT`: queues a text for the partner.
#include <iterator>
#include <ostream>

#include "client/cli_commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "send", "[options] TEXT... | -",
    "Sends a text to your partner. Several TEXT arguments are joined with single\n"
    "spaces; '-' reads the text from standard input instead (one trailing newline is\n"
    "dropped). Put '--' before a text that starts with '-'.\n"
    "The command returns once the message is safely in this daemon's outbox; the\n"
    "daemon delivers it exactly once, as soon as your partner is reachable.\n"};

}  // namespace

int RunSend(CommandContext& context, const CommandArgs& args) {
  po::options_description options;
  po::options_description text_option;
  text_option.add_options()("text", po::value<std::vector<std::string>>(), "The text.");
  po::positional_options_description positional;
  positional.add("text", -1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, text_option, positional, &vm)) {
    return *done;
  }

  std::vector<std::string> words;
  if (vm.count("text")) words = vm["text"].as<std::vector<std::string>>();
  std::string text;
  if (words.size() == 1 && words[0] == "-") {
    text.assign(std::istreambuf_iterator<char>(context.in()), std::istreambuf_iterator<char>());
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (!text.empty() && text.back() == '\r') text.pop_back();
  } else {
    for (const auto& word : words) {
      if (!text.empty()) text.push_back(' ');
      text += word;
    }
  }
  if (text.empty()) return context.ReportUsageError(kUsage, "there is no text to send");

  control::Request request;
  request.mutable_send()->set_text(text);
  return context.ConnectAndExchange(request, [&context](const control::Response& response) {
    context.out() << "Message #" << response.send().id()
                  << " is in the outbox; it is delivered as soon as your partner is "
                     "reachable.\n";
  });
}

}  // namespace inmost::cli
