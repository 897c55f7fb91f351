// `inmost invite`: makes a one-time invite code, optionally drawn as a QR code.

#include <ostream>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_code.h"
#include "cli/qr_code.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "invite", "[--address HOST:PORT]... [--expires DURATION] [--qr]",
    "Makes a one-time invite code. Give it to your partner over any channel; they run\n"
    "'inmost join CODE' and the two daemons pair. The code holds your public key, a\n"
    "one-time secret and where to reach you, so treat it like a password until it is\n"
    "used or expired. A new invite replaces any earlier unused one.\n"
    "\n"
    "Where to reach you is the daemon's 'advertise' addresses, else this machine's\n"
    "addresses that another machine can reach, with the listen port. It never holds a\n"
    "loopback (127.0.0.1, ::1) or link-local address unless you name one: when the\n"
    "daemon has no other, no invite is made and the error says what to do: reach\n"
    "each other over Tor, set 'advertise = HOST:PORT' in the daemon's config, or, to\n"
    "try inmost with two daemons on one machine, pass --address 127.0.0.1:PORT.\n"
    "\n"
    "With Tor (option tor), the code also holds this daemon's onion address. While Tor\n"
    "is still starting or publishing it, this waits up to 30 s for it; if that is not\n"
    "enough, the code is made anyway and a note on standard error says what it holds.\n"};

}  // namespace

int RunInvite(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  // clang-format off
  options.add_options()
      ("address", po::value<std::vector<std::string>>()->value_name("HOST:PORT")->composing(),
       "Where your partner can reach this daemon; repeat for several. Any address "
       "given here is used as is, a loopback one too. Default: see above.")
      ("expires", po::value<std::string>()->value_name("DURATION")->default_value("24h"),
       "How long the code stays valid: a number with a unit s, m, h, d or w, such as 30m, "
       "24h, 7d or 1h30m.")
      ("qr", po::bool_switch(), "Also draw the code as a QR code (not with --json).");
  // clang-format on
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;

  Result<uint64_t> expires = ParseDurationSeconds(vm["expires"].as<std::string>());
  if (!expires.ok()) return context.ReportUsageError(kUsage, expires.status().message());
  control::Request request;
  control::InviteRequest* invite = request.mutable_invite();
  if (vm.count("address")) {
    for (const auto& address : vm["address"].as<std::vector<std::string>>()) {
      invite->add_addresses(address);
    }
  }
  invite->set_expires_in_seconds(*expires);
  bool qr = vm["qr"].as<bool>();

  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    const control::InviteReply& reply = response.invite();
    std::ostream& out = context.out();
    out << "Invite code (one use, valid until "
        << LocalTime(reply.expires_at_unix() * 1000, "%Y-%m-%d %H:%M") << "):\n\n"
        << reply.code() << "\n\n";
    if (qr) {
      Result<std::string> drawing = RenderQrCode(reply.code(), context.OutIsTerminal());
      if (drawing.ok()) {
        out << *drawing << '\n';
      } else {
        context.err() << "inmost: cannot draw the QR code: " << drawing.status().message() << '\n';
      }
    }
    out << "Your partner runs:  inmost join " << reply.code() << '\n'
        << "Then compare the safety number ('inmost status') over a channel you trust.\n";
    // What the code lacks (a published onion address) matters before it is handed on.
    if (!reply.note().empty()) context.err() << "inmost: " << TerminalSafe(reply.note()) << '\n';
  });
}

}  // namespace inmost::cli
