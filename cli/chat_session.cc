// `inmost chat`'s connection and input: the poll loop over the terminal and the
// daemon, reconnection with backoff (0.2 s doubling to 5 s) when inmostd goes away,
// and what a typed line does. A line typed while inmostd is away is refused and
// given back, never dropped silently.
#include "cli/chat_session.h"

#include <poll.h>

#include <cerrno>
#include <sstream>
#include <vector>

#include "cli/chat_commands.h"
#include "cli/chat_lines.h"
#include "cli/exit_code.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr std::chrono::milliseconds kFirstRetry{200};
constexpr std::chrono::milliseconds kLongestRetry{5000};
// How often the history is re-read for what no event announced (a message another
// client sent while the link was down).
constexpr std::chrono::seconds kSweepEvery{10};
// How many of the newest entries a catch-up re-reads.
constexpr uint32_t kSweepLimit = 20;
constexpr uint32_t kReconnectLimit = 200;

constexpr char kNotAnswering[] = "inmostd is not answering; reconnecting…";

int MillisecondsUntil(std::chrono::steady_clock::time_point at) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(at - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

int Sooner(int a, int b) {
  if (a < 0) return b;
  if (b < 0) return a;
  return std::min(a, b);
}

}  // namespace

ChatSession::ChatSession(CommandContext& context, ChatView& view, Client client, Options options)
    : context_(context),
      view_(view),
      client_(std::move(client)),
      options_(options),
      json_(context.json()) {
  status_.connected = true;
  sweep_at_ = Clock::now() + kSweepEvery;
}

int ChatSession::Loop() {
  while (true) {
    while (client_ && client_->has_buffered_event()) HandleNextEvent();
    MarkReadShown();
    view_.Flush();
    pollfd fds[2] = {{view_.input_fd(), POLLIN, 0}, {client_ ? client_->fd() : -1, POLLIN, 0}};
    int ready = ::poll(fds, 2, WaitMs());
    if (ready < 0 && errno != EINTR) return context_.ReportUnreachable(IoError("poll failed"));
    bool interrupted = ready < 0;  // A signal: the terminal may have been resized.
    if (!interrupted && fds[1].revents != 0) HandleNextEvent();
    if ((!interrupted && fds[0].revents != 0) || (interrupted && view_.reads_without_blocking())) {
      std::vector<ChatInput> inputs = view_.ReadInput();
      for (const ChatInput& input : inputs) {
        if (auto done = OnInput(input)) {
          FinishWriting();
          return *done;
        }
      }
      OnEdited();
      // The terminal went away and nothing more can be typed: not a loop for ever.
      bool hung_up = !interrupted && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
      if (hung_up && inputs.empty()) {
        FinishWriting();
        return kExitOk;
      }
    }
    SaveDraft(false);
    view_.Tick();
    Clock::time_point now = Clock::now();
    if (!client_ && now >= retry_at_) TryReconnect();
    if (client_ && now >= sweep_at_) {
      sweep_at_ = now + kSweepEvery;
      RefreshStatus();  // Quiet hours may have begun or ended.
      CatchUp(kSweepLimit);
    }
  }
}

int ChatSession::WaitMs() const {
  int wait = view_.TimerMs();
  if (draft_due_at_) wait = Sooner(wait, MillisecondsUntil(*draft_due_at_));
  return Sooner(wait, MillisecondsUntil(client_ ? sweep_at_ : retry_at_));
}

bool ChatSession::Request(const control::Request& request, control::Response* reply) {
  if (!client_) return false;
  Result<control::Response> response = client_->Exchange(request);
  if (!response.ok()) {
    Lost();
    return false;
  }
  *reply = std::move(response).value();
  return true;
}

void ChatSession::HandleNextEvent() {
  Result<control::Event> event = client_->NextEvent();
  if (!event.ok()) {
    Lost();
    return;
  }
  OnEvent(*event);
}

void ChatSession::Lost() {
  if (!client_) return;
  client_.reset();
  status_.connected = false;
  view_.SetStatus(status_);
  Notice(kNotAnswering);
  backoff_ = kFirstRetry;
  retry_at_ = Clock::now() + backoff_;
}

void ChatSession::TryReconnect() {
  // Quietly: a daemon still down is what the status line already says.
  std::istringstream no_input;
  std::ostringstream ignored;
  CommandContext quiet(context_.globals(), no_input, ignored, ignored);
  int exit_code = kExitOk;
  std::optional<Client> client = quiet.Connect(&exit_code);
  if (!client) {
    backoff_ = std::min(backoff_ * 2, kLongestRetry);
    retry_at_ = Clock::now() + backoff_;
    return;
  }
  client_ = std::move(client);
  control::Request subscribe;
  subscribe.mutable_subscribe()->set_present(true);  // Here again, for --together.
  control::Response reply;
  if (!Request(subscribe, &reply)) return;  // Lost() already scheduled the next try.
  if (reply.has_error()) Notice("subscribe refused: " + TerminalSafe(reply.error().message()));
  status_.connected = true;
  Notice("reconnected to inmostd");
  RefreshStatus();
  CatchUp(kReconnectLimit);  // What arrived meanwhile, each entry once.
}

std::optional<int> ChatSession::OnInput(const ChatInput& input) {
  if (input.kind == ChatInput::kEnd) return kExitOk;
  TypedLine typed = ParseTypedLine(input.line);
  switch (typed.kind) {
    case TypedLine::kNothing:
      break;
    case TypedLine::kText:
      SendText(typed.text, input.line);
      break;
    case TypedLine::kCommand:
      RunCommand(typed, input.line);
      break;
    case TypedLine::kHelp:
      for (const std::string& line : ChatHelpLines()) {
        if (json_) {
          Notice(line);
        } else {
          Show(line);
        }
      }
      break;
    case TypedLine::kQuit:
      return kExitOk;
    case TypedLine::kUnknown:
      Notice("unknown command /" + TerminalSafe(typed.name) +
             ": nothing was sent. /help lists the commands; // starts a message with a slash");
      break;
    case TypedLine::kMalformed:
      Notice("not run: " + typed.text);
      break;
  }
  return std::nullopt;
}

void ChatSession::SendText(const std::string& text, const std::string& typed) {
  control::Request request;
  request.mutable_send()->set_text(text);
  control::Response reply;
  if (!Request(request, &reply)) {
    Refuse(typed, kNotAnswering);
    return;
  }
  if (reply.has_error()) {
    // A refused message is worth a line, not the end of the chat.
    Refuse(typed, TerminalSafe(reply.error().message()));
    return;
  }
  OnLineSent();
  CatchUp(kSweepLimit);  // Shows it as the daemon keeps it, with its id and state.
}

void ChatSession::Refuse(const std::string& typed, const std::string& why) {
  if (json_) {
    Notice("not sent: " + why);
  } else {
    view_.RefuseInput(typed, why);
  }
}

void ChatSession::RunCommand(const TypedLine& typed, const std::string& line) {
  if (!json_) Show("» " + TerminalSafe(line));
  ChatCommandResult result = RunChatCommand(context_.globals(), typed.name, typed.args);
  for (const std::string& output : result.lines) Show(json_ ? output : "  " + output);
  // What it did (an envelope opened, a reaction, quiet) also comes as events; the
  // status line may have changed too.
  RefreshStatus();
}

}  // namespace inmost::cli
