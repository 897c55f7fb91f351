// `inmost chat`: the conversation in the terminal, full-screen when standard input
// and output are both a terminal, plain lines otherwise (pipes, scripts, --json).
// This file only reads the options and picks the view; chat_session.cc runs it.
#include <memory>
#include <ostream>

#include "cli/chat_plain_view.h"
#include "cli/chat_screen.h"
#include "cli/chat_session.h"
#include "cli/commands.h"
#include "cli/exit_code.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "chat", "[--limit N] [--no-mark-read]",
    "The whole conversation, live: the last messages, then each message as it arrives\n"
    "or is sent (from here, another terminal or a bot), with its delivery and read\n"
    "state, envelopes and questions as they change, nudges in a row as one line\n"
    "(kiss ×9), what a quiet held back once it ends, and when your partner comes and\n"
    "goes. In a terminal it is full-screen, with a status line (the link, your\n"
    "partner's presence, your quiet, the countdown to the next sealed envelope) and a\n"
    "line editor (arrows, Home/End, Up/Down for earlier lines, PgUp/PgDn to scroll).\n"
    "While you type there, your partner's chat says you are writing (unless you turn\n"
    "'config share-typing' off: then neither of you sees the other's), and the line\n"
    "not yet sent is kept as your draft ('inmost draft'): the next chat, here or in\n"
    "another client, starts with it.\n"
    "\n"
    "A line you type is sent; a line starting with / is a command, never sent:\n"
    "/open 4, /react 4 ❤, /nudge hug, /presence away, /quiet 1h, /search WORD,\n"
    "/save 4 ... run the 'inmost' command of the same name; /help lists them; /quit,\n"
    "Ctrl-D on an empty line or Ctrl-C ends the chat. //text sends \"/text\".\n"
    "\n"
    "When inmostd goes away (a restart) the chat says so and reconnects, 0.2 s then\n"
    "up to every 5 s, and shows what arrived meanwhile, each message once; a line typed\n"
    "meanwhile is not sent (it is given back to send again). With --json, or when not\n"
    "in a terminal, it prints lines instead: with --json one JSON object per line: each\n"
    "event as 'inmost watch' prints it, {\"message\": ...} for each history entry shown\n"
    "and {\"notice\": ...} for what chat itself says. Messages shown are marked as read\n"
    "unless --no-mark-read is given. While chat runs you count as here: messages sent\n"
    "with --together open while you are both here, and your partner sees whether you\n"
    "are.\n"};

}  // namespace

int RunChat(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  // clang-format off
  options.add_options()
      ("limit", po::value<uint32_t>()->value_name("N")->default_value(20),
       "Show the last N messages first (1 to 1000).")
      ("no-mark-read", po::bool_switch(), "Do not mark the messages shown as read.");
  // clang-format on
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;
  uint32_t limit = vm["limit"].as<uint32_t>();
  if (limit < 1 || limit > 1000) {
    return context.ReportUsageError(kUsage, "--limit must be between 1 and 1000");
  }

  // Connected and subscribed before the screen opens, so that a daemon that is not
  // running at all is reported on the plain terminal, with exit code 3.
  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  control::Request subscribe;
  // Present: this chat is what --together messages wait for.
  subscribe.mutable_subscribe()->set_present(true);
  control::Response reply;
  if (auto failed = context.Call(*client, subscribe, &reply)) return *failed;

  ChatSession::Options session_options;
  session_options.mark_read = !vm["no-mark-read"].as<bool>();
  session_options.history_limit = limit;
  session_options.interactive = context.InIsTerminal();
  std::unique_ptr<ChatScreen> screen;
  if (context.InIsTerminal() && context.OutIsTerminal() && !context.json()) {
    screen = ChatScreen::Open();
  }
  ChatPlainView plain(context.out(), context.err());
  ChatView& view = screen ? static_cast<ChatView&>(*screen) : plain;
  ChatSession chat(context, view, std::move(*client), session_options);
  chat.Begin();
  return chat.Loop();
}

}  // namespace inmost::cli
