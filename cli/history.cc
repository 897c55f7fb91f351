// `inmost history`: pages through the conversation.
#include <ostream>

#include "cli/commands.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "history", "[--limit N] [--before ID]",
    "Shows the conversation, oldest first, newest last. Outgoing messages show their\n"
    "state: pending (not yet stored by your partner), delivered or read; incoming ones\n"
    "not yet read are marked (new). Sealed messages, questions and scheduled messages\n"
    "show their state (sealed until when, waiting for whose answer, gentle with its\n"
    "note, opened, withdrawn, scheduled, cancelled) and what you can type next.\n"
    "Nudges show as (hug ×3), a same moment as ✨, reactions after the text as\n"
    "[you: ❤ · them: 😂], shared memories with 📌, and forgotten messages as\n"
    "(forgotten). Files show as 📎 name (size, type) with their caption, and their\n"
    "progress while they move; 'inmost save ID' writes a received one out. A reply\n"
    "shows the line it answers above it (↪ #12 \"...\"), an edited text ends in\n"
    "(edited) ('inmost versions ID' shows every version), a view-once message shows\n"
    "whether it was viewed, never its text, and a disappearing one when it goes. Every\n"
    "message shows its #ID, for react, pin, forget, save, edit and --reply-to.\n"
    "Use --before with the first id shown to page back.\n"};

}  // namespace

int RunHistory(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  // clang-format off
  options.add_options()
      ("limit", po::value<uint32_t>()->value_name("N")->default_value(20),
       "Show at most N messages (1 to 1000).")
      ("before", po::value<uint64_t>()->value_name("ID"),
       "Only messages older than message ID.");
  // clang-format on
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;
  uint32_t limit = vm["limit"].as<uint32_t>();
  if (limit < 1 || limit > 1000) {
    return context.ReportUsageError(kUsage, "--limit must be between 1 and 1000");
  }

  control::Request request;
  request.mutable_history()->set_limit(limit);
  if (vm.count("before")) request.mutable_history()->set_before_id(vm["before"].as<uint64_t>());
  return context.ConnectAndShow(
      request, [&context](const control::Response& response, const Speakers& speakers) {
        const control::HistoryReply& history = response.history();
        std::ostream& out = context.out();
        if (history.messages_size() == 0) {
          out << "No messages.\n";
          return;
        }
        for (const control::Message& message : history.messages()) {
          out << FormatMessage(message, "%Y-%m-%d %H:%M", speakers) << '\n';
        }
        if (history.more()) {
          out << "(older messages: inmost history --before " << history.messages(0).id() << ")\n";
        }
      });
}

}  // namespace inmost::cli
