// `inmost forget ID [--keep]`: forgets a message on both sides, or answers your
// partner's request to.
#include <cctype>
#include <ostream>

#include "cli/commands.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "forget", "ID [--keep]",
    "Forgets message ID, yours or your partner's, on both sides. This daemon deletes\n"
    "its copy at once and for good (nothing of it stays on disk, only a line saying\n"
    "it was forgotten) and asks your partner's daemon to do the same. If your partner\n"
    "allows it in advance (their setting honour-forget, see 'inmost presence'), theirs\n"
    "is deleted at once; otherwise your partner is asked, and may keep it.\n"
    "When your partner asks you to forget a message, 'inmost forget ID' agrees and\n"
    "'inmost forget ID --keep' declines (your partner is told).\n"};

// "forgotten here" -> "Forgotten here."
std::string Sentence(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text + '.';
}

}  // namespace

int RunForget(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("keep", po::bool_switch(),
                        "Your partner asked you to forget ID: keep it instead.");
  po::options_description id_option;
  id_option.add_options()("id", po::value<std::string>(), "The message's id.");
  po::positional_options_description positional;
  positional.add("id", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, id_option, positional, &vm)) {
    return *done;
  }
  uint64_t id = 0;
  if (auto done = context.ReadIdArg(kUsage, vm, &id)) return *done;
  bool keep = vm["keep"].as<bool>();

  control::Request request;
  request.mutable_forget()->set_id(id);
  request.mutable_forget()->set_keep(keep);
  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    if (keep) {
      context.out() << "You keep #" << id << "; your partner is told.\n";
      return;
    }
    std::string result = ForgetDescription(response.forget().message());
    context.out() << (result.empty() ? "Forgotten." : Sentence(result)) << '\n';
  });
}

}  // namespace inmost::cli
