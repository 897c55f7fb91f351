// `inmost status`: who this daemon is, who its partner is, and whether the link is up.
#include <ostream>

#include "client/cli_commands.h"
#include "client/cli_text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "status", "[options]",
    "Shows this daemon's key fingerprint, the partner's fingerprint, the safety number\n"
    "to compare with your partner over a channel you trust, whether the link to the\n"
    "partner is up, whether you and your partner are here (have 'inmost chat' open:\n"
    "what messages sent with --together wait for), and how many sent messages the\n"
    "partner has not yet stored.\n"};

void PrintStatus(std::ostream& out, const control::StatusReply& status) {
  constexpr char kIndent[] = "                   ";
  out << "Fingerprint:       " << status.fingerprint() << '\n';
  if (!status.paired()) {
    out << "Partner:           not paired (make an invite with 'inmost invite', or\n"
        << kIndent << "join one with 'inmost join CODE')\n";
  } else {
    out << "Partner:           " << TerminalSafe(status.partner_fingerprint()) << '\n';
    std::vector<std::string> lines = SafetyNumberLines(status.safety_number());
    for (size_t i = 0; i < lines.size(); ++i) {
      out << (i == 0 ? "Safety number:     " : kIndent) << lines[i] << '\n';
    }
    out << "Link:              " << (status.link_up() ? "up" : "down") << '\n';
    out << "Presence:          you: " << (status.present() ? "here" : "away") << ", partner: "
        << (!status.link_up()          ? "unknown (the link is down)"
            : status.partner_present() ? "here"
                                       : "away")
        << '\n';
    if (status.partner_addresses_size() > 0) {
      out << "Partner addresses: ";
      for (int i = 0; i < status.partner_addresses_size(); ++i) {
        out << (i > 0 ? ", " : "") << TerminalSafe(status.partner_addresses(i));
      }
      out << '\n';
    }
    out << "Not yet delivered: " << status.unacknowledged() << '\n';
  }
  if (!status.listen_address().empty()) {
    out << "Listening on:      " << status.listen_address() << '\n';
  }
}

}  // namespace

int RunStatus(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;
  control::Request request;
  request.mutable_status();
  return context.ConnectAndExchange(request, [&context](const control::Response& response) {
    PrintStatus(context.out(), response.status());
  });
}

}  // namespace inmost::cli
