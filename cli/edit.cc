// `inmost edit ID TEXT`: changes the text of a message you sent, on both sides. Both
// daemons keep every earlier version ('inmost versions ID'), so nothing is rewritten
// silently.
#include <ostream>

#include "cli/commands.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "edit", "ID TEXT... | -",
    "Changes the text of message ID, one you sent, on both sides: both of you see the\n"
    "new text marked (edited), and both daemons keep every earlier version, which\n"
    "'inmost versions ID' shows. Nothing said is rewritten silently. An envelope your\n"
    "partner has not opened yet (sealed, gentle, together) cannot be edited: retract\n"
    "it instead. Several TEXT arguments are joined with single spaces; '-' reads the\n"
    "text from standard input.\n"};

}  // namespace

int RunEdit(CommandContext& context, const CommandArgs& args) {
  po::options_description positional_options;
  // clang-format off
  positional_options.add_options()
      ("id", po::value<std::string>(), "The message's id.")
      ("text", po::value<std::vector<std::string>>(), "The new text.");
  // clang-format on
  po::positional_options_description positional;
  positional.add("id", 1).add("text", -1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, po::options_description(), positional_options,
                                    positional, &vm)) {
    return *done;
  }
  uint64_t id = 0;
  if (auto done = context.ReadIdArg(kUsage, vm, &id)) return *done;
  std::vector<std::string> words;
  if (vm.count("text")) words = vm["text"].as<std::vector<std::string>>();
  std::string text = context.TextFromWords(words);
  if (text.empty()) return context.ReportUsageError(kUsage, "give the new TEXT of the message");

  control::Request request;
  request.mutable_edit()->set_id(id);
  request.mutable_edit()->set_text(text);
  return context.ConnectAndShow(
      request, [&](const control::Response& response, const Speakers& speakers) {
        context.out() << "Edited #" << id << "; your partner's copy changes too, and you both keep "
                      << "every version ('inmost versions " << id << "'):\n"
                      << "  " << FormatMessage(response.edit().message(), kDateTimeFormat, speakers)
                      << '\n';
      });
}

}  // namespace inmost::cli
