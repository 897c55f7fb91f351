// `inmost search WORDS...`: the messages holding every word.
#include <ostream>

#include "cli/commands.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "search", "[--limit N] WORDS...",
    "Lists the messages that hold every one of WORDS (ignoring case), newest first.\n"
    "Sealed messages that have not opened are not searched: their text is not here.\n"};

}  // namespace

int RunSearch(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("limit", po::value<uint32_t>()->value_name("N")->default_value(50),
                        "Show at most N messages (1 to 1000).");
  po::options_description words_option;
  words_option.add_options()("words", po::value<std::vector<std::string>>(), "The words.");
  po::positional_options_description positional;
  positional.add("words", -1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, words_option, positional, &vm)) {
    return *done;
  }
  uint32_t limit = vm["limit"].as<uint32_t>();
  if (limit < 1 || limit > 1000) {
    return context.ReportUsageError(kUsage, "--limit must be between 1 and 1000");
  }
  std::vector<std::string> given;
  if (vm.count("words")) given = vm["words"].as<std::vector<std::string>>();
  std::string words = context.TextFromWords(given);
  if (words.find_first_not_of(" \t") == std::string::npos) {
    return context.ReportUsageError(kUsage, "give the WORDS to search for");
  }

  control::Request request;
  request.mutable_search()->set_words(words);
  request.mutable_search()->set_limit(limit);
  return context.ConnectAndShow(
      request, [&](const control::Response& response, const Speakers& speakers) {
        const control::SearchReply& search = response.search();
        std::ostream& out = context.out();
        for (const control::Message& message : search.messages()) {
          out << FormatMessage(message, kDateTimeFormat, speakers) << '\n';
        }
        out << Count(static_cast<uint64_t>(search.messages_size()), "message") << " found among "
            << search.searched() << " searched";
        if (search.more()) out << "; more match: raise --limit";
        out << ".\n";
      });
}

}  // namespace inmost::cli
