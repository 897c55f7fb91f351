// `inmost view ID`: shows a view-once message your partner sent, once. The text is
// only in the daemon's answer; once it is written, both daemons destroy the message.
// A view-once file goes to standard output, for a program that shows it, never to a
// file of inmost's making.
#include <ostream>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/file_format.h"
#include "cli/messenger_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "view", "ID",
    "Shows the view-once message ID that your partner sent ('inmost send --view-once'),\n"
    "once: as it is shown, its key and text are destroyed on this machine, and your\n"
    "partner's daemon is told to destroy what it has. It cannot be viewed again, by\n"
    "anyone, and your partner sees it viewed. inmost keeps its text nowhere: not in\n"
    "the history, a backup or an export (the terminal's scrollback is yours to clear).\n"
    "A view-once file is written to standard output, which must then be a program\n"
    "that shows it, not the terminal: 'inmost view 12 | display -' (an image),\n"
    "'inmost view 12 | mpv -' (a voice note or a video). It is destroyed once all of\n"
    "it has been read; a view cut short can start again.\n"};

// Streams the view-once file `id` to out(), piece by piece; the daemon ends the view
// with the last piece.
int StreamFile(CommandContext& context, Client& client, uint64_t id) {
  control::Request request;
  request.mutable_view()->set_id(id);
  for (uint64_t offset = 0;;) {
    request.mutable_view()->set_offset(offset);
    control::Response response;
    if (auto failed = context.Call(client, request, &response)) return *failed;
    const control::DownloadReply& piece = response.view().file();
    context.out().write(piece.data().data(), static_cast<std::streamsize>(piece.data().size()));
    offset += piece.data().size();
    if (piece.end()) break;
    if (piece.data().empty()) {
      context.err() << "inmost: the daemon sent no data before the end of the file\n";
      return kExitDaemonError;
    }
  }
  context.out().flush();
  if (!context.out()) {
    context.err() << "inmost: could not write the file to standard output\n";
    return kExitDaemonError;
  }
  context.err() << "View-once file #" << id
                << " is gone now: destroyed here, and on your partner's side as soon as their "
                   "daemon hears of it.\n";
  return kExitOk;
}

}  // namespace

int RunView(CommandContext& context, const CommandArgs& args) {
  uint64_t id = 0;
  if (auto done = context.ParseIdArgs(kUsage, args, &id)) return *done;
  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  control::Request request;
  request.mutable_view()->set_id(id);
  request.mutable_view()->set_what_only(true);
  control::Response what;
  if (auto failed = context.Call(*client, request, &what)) return *failed;
  if (what.view().message().has_file()) {
    const control::Attachment& file = what.view().message().file();
    // Not into a terminal or a chat's lines: only a pipe or a file takes the bytes.
    if (!context.OutIsStdout() || context.OutIsTerminal()) {
      context.err() << "inmost: #" << id << " is a view-once file, " << OneLine(file.name()) << " ("
                    << file.type() << ", " << FormatBytes(file.size())
                    << "): give it to a program that shows it, e.g. inmost view " << id
                    << " | display -   (nothing was viewed yet)\n";
      return kExitUsage;
    }
    return StreamFile(context, *client, id);
  }
  request.mutable_view()->set_what_only(false);
  return context.Exchange(*client, request, [&](const control::Response& response) {
    context.out() << FormatViewed(id, response.view());
  });
}

}  // namespace inmost::cli
