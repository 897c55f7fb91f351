// `inmost transfers`: the files being sent or received, with a progress bar each;
// on a terminal the bars move until every file has arrived or failed.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <ostream>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/file_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "transfers", "[--once]",
    "Lists the files being sent (→) or received (←), and those that finished or\n"
    "failed since the daemon started, one line each: the file's message ID, its name\n"
    "((sealed) while it is inside a sealed message), a progress bar, how much of it\n"
    "the receiving daemon has stored, and its state: sending, sent, receiving,\n"
    "received, or failed with the reason. A file interrupted by a lost link or a\n"
    "restart resumes where it stopped.\n"
    "On a terminal the bars move as the files do, until none is moving any more;\n"
    "with --once, --json or when the output is not a terminal, it prints once.\n"};

// The terminal's width in columns (0: unknown).
size_t TerminalColumns() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

bool AnyMoving(const std::vector<control::Transfer>& transfers) {
  return std::any_of(transfers.begin(), transfers.end(),
                     [](const control::Transfer& t) { return IsMoving(t.file()); });
}

// Draws `transfers` over the `*drawn` lines drawn before (the list only grows).
void Redraw(std::ostream& out, const std::vector<control::Transfer>& transfers, size_t* drawn) {
  if (*drawn > 0) out << "\033[" << *drawn << 'A';  // Back to the first line.
  size_t columns = TerminalColumns();
  for (const control::Transfer& transfer : transfers) {
    // One terminal line each, or moving up would miss lines that wrapped.
    std::string line = FormatTransfer(transfer);
    if (columns > 1) line = FitColumns(line, columns - 1);
    out << "\r\033[2K" << line << '\n';
  }
  *drawn = transfers.size();
  out.flush();
}

}  // namespace

int RunTransfers(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("once", po::bool_switch(),
                        "Print the list once and end, even on a terminal.");
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;

  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  control::Request list;
  list.mutable_transfers();
  if (vm["once"].as<bool>() || context.json() || !context.OutIsTerminal()) {
    return context.Exchange(*client, list, [&context](const control::Response& response) {
      if (response.transfers().transfers_size() == 0) {
        context.out() << "no transfers\n";
        return;
      }
      for (const control::Transfer& transfer : response.transfers().transfers()) {
        context.out() << FormatTransfer(transfer) << '\n';
      }
    });
  }

  // Subscribing before listing means no progress falls between the two.
  control::Request subscribe;
  subscribe.mutable_subscribe();
  control::Response reply;
  if (auto failed = context.Call(*client, subscribe, &reply)) return *failed;
  if (auto failed = context.Call(*client, list, &reply)) return *failed;
  std::vector<control::Transfer> transfers(reply.transfers().transfers().begin(),
                                           reply.transfers().transfers().end());
  if (transfers.empty()) {
    context.out() << "no transfers\n";
    return kExitOk;
  }
  size_t drawn = 0;
  Redraw(context.out(), transfers, &drawn);
  while (AnyMoving(transfers)) {
    Result<control::Event> event = client->NextEvent();
    if (!event.ok()) return context.ReportUnreachable(event.status());
    if (!event->has_transfer()) continue;
    ApplyTransferProgress(event->transfer(), &transfers);
    Redraw(context.out(), transfers, &drawn);
  }
  return kExitOk;
}

}  // namespace inmost::cli
