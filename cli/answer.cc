// `inmost answer ID|today TEXT` (or `--file PATH`): gives your answer to a question,
// sealed until both answered.
#include <optional>
#include <ostream>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/file_arg.h"
#include "cli/file_format.h"
#include "cli/text_format.h"
#include "cli/upload.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "answer", "ID|today TEXT... | -\n       inmost answer ID|today --file PATH [--caption TEXT]",
    "Gives your answer to question ID ('inmost ask'), or with 'today' to today's\n"
    "question of the day ('inmost today'). Your answer travels sealed, with a\n"
    "commitment to it: your partner cannot read it before answering too, and neither\n"
    "of you can change an answer once given. When both answers are in, both open on\n"
    "both sides, each checked against its commitment. Several TEXT arguments are\n"
    "joined with single spaces; '-' reads the answer from standard input.\n"
    "With --file your answer is a file (a photo, a voice note ...), sealed the same\n"
    "way, with --caption as its words; it is copied into the daemon first, over its\n"
    "socket, so it may change or go once the command returns.\n"};

}  // namespace

int RunAnswer(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  // clang-format off
  options.add_options()
      ("file", po::value<std::string>()->value_name("PATH"),
       "Answer with the file at PATH instead of words.")
      ("caption", po::value<std::string>()->value_name("TEXT"),
       "Words to go with the file.");
  // clang-format on
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
  std::string what;  // " (a file: photo.jpg, 2.4 MiB)" for a file.
  std::optional<FileToSend> file;
  if (vm.count("file")) {
    if (!words.empty()) {
      return context.ReportUsageError(
          kUsage, "a TEXT cannot go with --file: use --caption TEXT for words with the file");
    }
    Result<FileToSend> checked = CheckFileToSend(vm["file"].as<std::string>());
    if (!checked.ok()) {
      return context.ReportUsageError(kUsage, "--file: " + checked.status().message());
    }
    file = *checked;
    if (vm.count("caption")) answer->set_text(vm["caption"].as<std::string>());
    what = " (the file " + OneLine(file->name) + ", " + FormatBytes(file->size) + ")";
  } else {
    if (vm.count("caption")) {
      return context.ReportUsageError(kUsage, "--caption goes only with --file");
    }
    std::string text = context.TextFromWords(words);
    if (text.empty()) return context.ReportUsageError(kUsage, "there is no answer to give");
    answer->set_text(text);
  }

  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  if (file) {
    // Uploaded over the socket, so the daemon may be on another machine.
    std::optional<std::string> upload_id = UploadFile(context, *client, *file, &exit_code);
    if (!upload_id) return exit_code;
    answer->set_upload_id(*upload_id);
  }
  exit_code = context.Exchange(*client, request, [&](const control::Response& response) {
    context.out() << "Your answer #" << response.answer().id() << what
                  << " is sealed and on its way; both answers open once your partner has "
                     "answered too.\n";
  });
  if (exit_code != kExitOk && !answer->upload_id().empty()) {
    DropUpload(*client, answer->upload_id());
  }
  return exit_code;
}

}  // namespace inmost::cli
