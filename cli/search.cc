// `inmost search WORDS...`: the messages holding every word; `--rebuild-index` asks
// the daemon to build its word index again.
#include <ostream>

#include "cli/commands.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "search", "[--limit N] [--before ID] WORDS... | --rebuild-index",
    "Lists the messages that hold every one of WORDS, newest first. Case and accents\n"
    "do not matter; the last word also finds longer ones (\"moon\" finds \"moonlight\")\n"
    "unless it ends with a space; \"words in quotes\" must stand together.\n"
    "Sealed messages that have not opened are not searched: their text is not here.\n"
    "--rebuild-index builds the daemon's word index again from the history, in the\n"
    "background (searches read the whole history meanwhile).\n"};

}  // namespace

int RunSearch(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("limit", po::value<uint32_t>()->value_name("N")->default_value(50),
                        "Show at most N messages (1 to 1000).")(
      "before", po::value<uint64_t>()->value_name("ID"),
      "Only messages older than message ID: the last one shown, to see more.")(
      "rebuild-index", "Build the daemon's word index again.");
  po::options_description words_option;
  words_option.add_options()("words", po::value<std::vector<std::string>>(), "The words.");
  po::positional_options_description positional;
  positional.add("words", -1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, words_option, positional, &vm)) {
    return *done;
  }
  if (vm.count("rebuild-index")) {
    if (vm.count("words") || vm.count("before")) {
      return context.ReportUsageError(kUsage, "--rebuild-index takes no words");
    }
    control::Request request;
    request.mutable_rebuild_search_index();
    return context.ConnectAndShow(request, [&](const control::Response& response, const Speakers&) {
      context.out() << "Rebuilding the search index over "
                    << Count(response.rebuild_search_index().messages(), "message")
                    << "; searches read the whole history until it is done.\n";
    });
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
  if (vm.count("before")) request.mutable_search()->set_before_id(vm["before"].as<uint64_t>());
  return context.ConnectAndShow(
      request, [&](const control::Response& response, const Speakers& speakers) {
        const control::SearchReply& search = response.search();
        std::ostream& out = context.out();
        for (const control::Message& message : search.messages()) {
          out << FormatMessage(message, kDateTimeFormat, speakers) << '\n';
        }
        out << Count(static_cast<uint64_t>(search.messages_size()), "message") << " found among "
            << search.searched() << " searched";
        if (search.more() && search.messages_size() > 0) {
          out << "; more match: add --before " << search.messages(search.messages_size() - 1).id();
        }
        out << ".\n";
      });
}

}  // namespace inmost::cli
