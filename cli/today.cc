// `inmost today`: the question of the day, the same for both partners with nothing sent.
// It only reads (the question, and once both answered, both answers from the history):
// answering is `inmost answer today`.
#include <ctime>
#include <optional>
#include <ostream>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/message_format.h"
#include "cli/text_format.h"
#include "cli/time.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "today", "[--date YYYY-MM-DD]",
    "Shows the question of the day. Both daemons derive it from your pair's shared\n"
    "secret and the date (UTC), so you both see the same question with nothing sent,\n"
    "and a question does not come back within a year. Answer it with\n"
    "'inmost answer today TEXT': as with 'inmost ask', the answers travel sealed and\n"
    "open on both sides once you have both answered; then it shows both answers.\n"};

// The largest history page the daemon gives.
constexpr uint32_t kPageLimit = 1000;

// Today's date in UTC, as the daemon names it.
std::string UtcDateToday() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  if (gmtime_r(&now, &utc) == nullptr) return "";
  char text[16];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return std::string(text, n);
}

// The history entry numbered `id`, found paging back from the newest (numbers are
// not in history order, so no page can be asked for by number alone); nullopt when
// the daemon does not have it (forgotten and compacted, or an error).
std::optional<control::Message> FetchEntry(Client& client, uint64_t id) {
  control::Request request;
  request.mutable_history()->set_limit(kPageLimit);
  while (true) {
    Result<control::Response> reply = client.Exchange(request);
    if (!reply.ok() || !reply->has_history()) return std::nullopt;
    const control::HistoryReply& page = reply->history();
    for (const control::Message& message : page.messages()) {
      if (message.id() == id) return message;
    }
    if (!page.more() || page.messages_size() == 0) return std::nullopt;
    request.mutable_history()->set_before_id(page.messages(0).id());
  }
}

// Both answers, as history shows them (text or file, and whether each has opened yet).
void PrintAnswers(std::ostream& out, Client& client, const control::Message::Question& question) {
  out << "You have both answered:\n";
  for (uint64_t id : {question.my_answer_id(), question.their_answer_id()}) {
    if (id == 0) continue;
    std::optional<control::Message> answer = FetchEntry(client, id);
    if (answer) {
      out << "  " << FormatMessage(*answer, kDateTimeFormat) << '\n';
    } else {
      out << "  (#" << id << " is not in the history here)\n";
    }
  }
}

void PrintToday(std::ostream& out, Client& client, const control::TodayReply& today,
                bool is_today) {
  out << "Question of the day, " << TerminalSafe(today.date());
  if (today.id() != 0) out << " (#" << today.id() << ')';
  out << ":\n\n  " << TerminalSafe(today.question()) << "\n\n";
  const control::Message::Question& question = today.state();
  bool can_answer = true;
  switch (question.state()) {
    case control::Message::Question::WAITING_FOR_YOU:
      out << "Your partner has answered; their answer opens once you have answered too.\n";
      break;
    case control::Message::Question::WAITING_FOR_THEM:
      out << "You have answered";
      if (question.my_answer_id() != 0) out << " (#" << question.my_answer_id() << ')';
      out << "; waiting for your partner's answer.\n";
      can_answer = false;
      break;
    case control::Message::Question::REVEALED:
      PrintAnswers(out, client, question);
      can_answer = false;
      break;
    default:
      out << "Neither of you has answered yet.\n";
      break;
  }
  if (!can_answer) return;
  if (is_today) {
    out << "answer with: inmost answer today TEXT\n";
  } else if (today.id() != 0) {
    out << "answer with: inmost answer " << today.id() << " TEXT\n";
  }
}

}  // namespace

int RunToday(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("date", po::value<std::string>()->value_name("YYYY-MM-DD"),
                        "The question of another day (UTC). Default: today.");
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;

  control::Request request;
  control::TodayRequest* today = request.mutable_today();
  if (vm.count("date")) {
    const std::string& date = vm["date"].as<std::string>();
    if (Status valid = CheckDate(date); !valid.ok()) {
      return context.ReportUsageError(kUsage, "--date: " + valid.message());
    }
    today->set_date(date);
  }
  bool asked_for_today = !vm.count("date");
  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  return context.Exchange(*client, request, [&](const control::Response& response) {
    const control::TodayReply& reply = response.today();
    PrintToday(context.out(), *client, reply, asked_for_today || reply.date() == UtcDateToday());
  });
}

}  // namespace inmost::cli
