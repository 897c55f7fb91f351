// `inmost react ID EMOJI`: puts your reaction on a message, or takes it off.
#include <ostream>

#include "cli/commands.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "react", "ID EMOJI | ID --remove",
    "Puts your reaction EMOJI (such as ❤ or 😂) on message ID, yours or your\n"
    "partner's; both of you see it after the text: [you: ❤ · them: 😂]. Each of you\n"
    "has one reaction per message: a new one replaces yours. --remove takes yours off.\n"};

constexpr size_t kMaxEmojiBytes = 32;

// Why `emoji` is refused before it is sent, or empty: what the daemon accepts.
std::string EmojiProblem(const std::string& emoji) {
  if (emoji.size() > kMaxEmojiBytes) {
    return "EMOJI is " + std::to_string(emoji.size()) + " bytes long; at most 32 are allowed";
  }
  for (char c : emoji) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return "EMOJI may not hold spaces or control characters";
  }
  return "";
}

}  // namespace

int RunReact(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("remove", po::bool_switch(), "Take your reaction off instead.");
  po::options_description positional_options;
  positional_options.add_options()("id", po::value<std::string>(), "The message's id.")(
      "emoji", po::value<std::string>(), "The reaction.");
  po::positional_options_description positional;
  positional.add("id", 1).add("emoji", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, positional_options, positional, &vm)) {
    return *done;
  }
  uint64_t id = 0;
  if (auto done = context.ReadIdArg(kUsage, vm, &id)) return *done;
  bool remove = vm["remove"].as<bool>();
  std::string emoji = vm.count("emoji") ? vm["emoji"].as<std::string>() : "";
  if (remove == !emoji.empty()) {
    return context.ReportUsageError(kUsage, remove ? "give either an EMOJI or --remove, not both"
                                                   : "give the EMOJI, or --remove");
  }
  if (std::string problem = EmojiProblem(emoji); !problem.empty()) {
    return context.ReportUsageError(kUsage, problem);
  }

  control::Request request;
  request.mutable_react()->set_id(id);
  request.mutable_react()->set_emoji(emoji);
  return context.ConnectAndShow(request, [&](const control::Response& response,
                                             const Speakers& speakers) {
    if (remove) {
      context.out() << "Your reaction to #" << id << " is removed:\n";
    } else {
      context.out() << "You reacted " << emoji << " to #" << id << ":\n";
    }
    context.out() << "  " << FormatMessage(response.react().message(), kDateTimeFormat, speakers)
                  << '\n';
  });
}

}  // namespace inmost::cli
