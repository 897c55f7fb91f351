// `inmost chat`: an interactive, line-based conversation in the terminal.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <ostream>
#include <set>
#include <utility>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/file_format.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "chat", "[--limit N] [--no-mark-read]",
    "Shows the last messages, then each message as it arrives, with markers when your\n"
    "messages are delivered and read, when sealed messages and questions change state,\n"
    "when your partner comes and goes and when the link goes up or down. Nudges show\n"
    "as (hug), a same moment when you both nudged at once, the end of a quiet with\n"
    "what arrived during it, and what your partner now shows. Files show their name,\n"
    "size and type, and a line when one has been sent or received (or failed); see\n"
    "'inmost transfers' for their progress. Every line you type is sent. Ctrl-D (end\n"
    "of input) quits. Messages shown are marked as read unless --no-mark-read is given.\n"
    "While chat runs you count as here: messages sent with --together open while you\n"
    "are both here, and your partner sees whether you are.\n"};

constexpr char kTimeFormat[] = "%H:%M";

// The chat loop's state: one connection used for requests and events alike.
class ChatSession {
 public:
  ChatSession(CommandContext& context, Client& client, bool mark_read)
      : context_(context), client_(client), mark_read_(mark_read) {}

  // Subscribes, shows the recent history; returns an exit code on failure.
  std::optional<int> Begin(uint32_t history_limit) {
    control::Request subscribe;
    // Present: this chat is what --together messages wait for.
    subscribe.mutable_subscribe()->set_present(true);
    // Subscribing before reading history means no message falls between the two.
    control::Response reply;
    if (auto failed = context_.Call(client_, subscribe, &reply)) return failed;

    control::Request history;
    history.mutable_history()->set_limit(history_limit);
    if (auto failed = context_.Call(client_, history, &reply)) return failed;
    uint64_t newest_incoming = 0;
    for (const control::Message& message : reply.history().messages()) {
      context_.out() << FormatMessage(message, "%Y-%m-%d %H:%M") << '\n';
      last_shown_id_ = std::max(last_shown_id_, message.id());
      if (message.direction() == control::Message::INCOMING) newest_incoming = message.id();
    }
    if (newest_incoming != 0) MarkRead(newest_incoming);
    control::Request status;
    status.mutable_status();
    Result<control::Response> status_reply = client_.Exchange(status);
    if (!status_reply.ok()) return context_.ReportUnreachable(status_reply.status());
    if (!status_reply->has_error() && status_reply->status().link_up()) {
      // --together messages wait for both of you: say whether your partner is here.
      context_.out() << (status_reply->status().partner_present() ? "-- your partner is here"
                                                                  : "-- your partner is away")
                     << '\n';
    }
    if (::isatty(STDIN_FILENO) == 1) {
      context_.err() << "-- type a message and press Enter to send it; Ctrl-D quits\n";
    }
    context_.out().flush();
    return std::nullopt;
  }

  // Runs until end of input (kExitOk) or until the daemon goes away.
  int Loop() {
    std::string pending_input;
    while (true) {
      while (client_.has_buffered_event()) {
        if (auto failed = ShowNextEvent()) return *failed;
      }
      context_.out().flush();
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {client_.fd(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return context_.ReportUnreachable(IoError("poll failed"));
      }
      if (fds[1].revents != 0) {
        if (auto failed = ShowNextEvent()) return *failed;
      }
      if (fds[0].revents != 0) {
        char buffer[4096];
        ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {  // End of input: send an unfinished last line, then quit.
          if (!pending_input.empty()) {
            if (auto failed = Send(pending_input)) return *failed;
          }
          return kExitOk;
        }
        pending_input.append(buffer, static_cast<size_t>(n));
        size_t newline;
        while ((newline = pending_input.find('\n')) != std::string::npos) {
          std::string line = pending_input.substr(0, newline);
          pending_input.erase(0, newline + 1);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (line.empty()) continue;
          if (auto failed = Send(line)) return *failed;
        }
      }
    }
  }

 private:
  std::optional<int> Send(const std::string& text) {
    control::Request request;
    request.mutable_send()->set_text(text);
    Result<control::Response> response = client_.Exchange(request);
    if (!response.ok()) return context_.ReportUnreachable(response.status());
    if (response->has_error()) {
      // A refused message is worth a line, not the end of the chat.
      context_.out() << "  [not sent: " << TerminalSafe(response->error().message()) << "]\n";
    } else {
      context_.out() << "  [#" << response->send().id() << " queued]\n";
      last_shown_id_ = std::max(last_shown_id_, response->send().id());
    }
    return std::nullopt;
  }

  std::optional<int> ShowNextEvent() {
    Result<control::Event> event = client_.NextEvent();
    if (!event.ok()) return context_.ReportUnreachable(event.status());
    if (event->has_message_received()) {
      const control::Message& message = event->message_received().message();
      if (message.id() <= last_shown_id_) return std::nullopt;  // Already in the history.
      last_shown_id_ = message.id();
      control::Message shown = message;
      shown.clear_state();  // "(new)" says nothing while chatting.
      context_.out() << FormatMessage(shown, kTimeFormat) << '\n';
      MarkRead(message.id());
      return std::nullopt;
    }
    if (event->has_same_moment()) {
      // The moment is a history entry too: whichever way it came first, show it once.
      uint64_t id = event->same_moment().message().id();
      if (id <= last_shown_id_) return std::nullopt;
      last_shown_id_ = id;
    }
    if (event->has_transfer()) {
      // A file's end is worth one line, however often the daemon repeats it.
      const control::TransferProgress& transfer = event->transfer();
      if (IsMoving(transfer.file())) return std::nullopt;
      if (!finished_transfers_.emplace(transfer.id(), transfer.file().state()).second) {
        return std::nullopt;
      }
    }
    std::string line = FormatChatEvent(*event);
    if (!line.empty()) context_.out() << line << '\n';
    return std::nullopt;
  }

  void MarkRead(uint64_t up_to_id) {
    if (!mark_read_) return;
    control::Request request;
    request.mutable_mark_read()->set_up_to_id(up_to_id);
    // A failure here loses nothing: the messages merely stay unread.
    (void)client_.Exchange(request);
  }

  CommandContext& context_;
  Client& client_;
  const bool mark_read_;
  uint64_t last_shown_id_ = 0;
  std::set<std::pair<uint64_t, control::Attachment::State>> finished_transfers_;
};

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

  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  ChatSession chat(context, *client, !vm["no-mark-read"].as<bool>());
  if (auto failed = chat.Begin(limit)) return *failed;
  return chat.Loop();
}

}  // namespace inmost::cli
