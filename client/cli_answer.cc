// `inmost answer ID|today TEXT`: gives your answer to a question, sealed until both answered.
#include <ostream>

#include "client/cli_commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "answer", "ID|today TEXT... | -",
    "Gives your answer to question ID ('inmost ask'), or with 'today' to today's\n"
    "question of the day ('inmost today'). Your answer travels sealed, with a\n"
    "commitment to it: your partner cannot read it before answering too, and neither\n"
    "of you can change an answer once given. When both answers are in, both open on\n"
    "both sides, each checked against its commitment. Several TEXT arguments are\n"
    "joined with single spaces; '-' reads the answer from standard input.\n"};

}  // namespace

int RunAnswer(CommandContext& context, const CommandArgs& args) {
  po::options_description options;
  po::options_description positional_options;
  // clang-format off
  positional_options.add_options()
      ("question", po::value<std::string>(), "The question's id, or 'today'.")
      ("text", po::value<std::vector<std::string>>(), "The answer.");
  // clang-format on
  po::positional_options_description positional;
  positional.add("question", 1).add("text", -1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, positional_options, positional, &vm)) {
    return *done;
  }
  if (!vm.count("question")) {
    return context.ReportUsageError(kUsage, "give the question's ID (or 'today') and your answer");
  }
  control::Request request;
  control::AnswerRequest* answer = request.mutable_answer();
  const std::string& question = vm["question"].as<std::string>();
  if (question == "today") {
    answer->set_today(true);
  } else {
    Result<uint64_t> id = ParseMessageId(question);
    if (!id.ok()) {
      return context.ReportUsageError(
          kUsage, "invalid question '" + question + "': use its ID, such as 12, or 'today'");
    }
    answer->set_question_id(*id);
  }
  std::vector<std::string> words;
  if (vm.count("text")) words = vm["text"].as<std::vector<std::string>>();
  std::string text = context.TextFromWords(words);
  if (text.empty()) return context.ReportUsageError(kUsage, "there is no answer to give");
  answer->set_text(text);

  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    context.out() << "Your answer #" << response.answer().id()
                  << " is sealed and on its way; both answers open once your partner has "
                     "answered too.\n";
  });
}

}  // namespace inmost::cli
