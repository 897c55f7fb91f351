// `inmost ask QUESTION`: poses a question you both answer, the answers opening together.
#include <ostream>

#include "cli/commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "ask", "TEXT... | -",
    "Poses a question to you both. Each of you answers with 'inmost answer ID TEXT'.\n"
    "An answer travels sealed: neither of you can read the other's before giving your\n"
    "own, and neither can change an answer once given. When both answers are in, both\n"
    "open together on both sides. Several TEXT arguments are joined with single\n"
    "spaces; '-' reads the question from standard input.\n"};

}  // namespace

int RunAsk(CommandContext& context, const CommandArgs& args) {
  po::options_description options;
  po::options_description text_option;
  text_option.add_options()("text", po::value<std::vector<std::string>>(), "The question.");
  po::positional_options_description positional;
  positional.add("text", -1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, text_option, positional, &vm)) {
    return *done;
  }
  std::vector<std::string> words;
  if (vm.count("text")) words = vm["text"].as<std::vector<std::string>>();
  std::string text = context.TextFromWords(words);
  if (text.empty()) return context.ReportUsageError(kUsage, "there is no question to ask");

  control::Request request;
  request.mutable_ask()->set_text(text);
  return context.ConnectAndExchange(request, [&context](const control::Response& response) {
    uint64_t id = response.ask().id();
    context.out() << "Question #" << id << " is on its way; answer it with: inmost answer " << id
                  << " TEXT\n";
  });
}

}  // namespace inmost::cli
