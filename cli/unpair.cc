// `inmost unpair --yes [--forget-history]`: forgets the partner (and perhaps all you said).
#include <ostream>

#include "cli/commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "unpair", "--yes [--forget-history]",
    "Forgets your partner: their key and addresses. The history stays, unless\n"
    "--forget-history is given: then the whole history here is deleted for good, and\n"
    "your partner's daemon is asked to delete theirs too (it can only be asked: what\n"
    "it does is up to your partner). To talk again you must pair anew with an\n"
    "invite, so this asks for --yes.\n"};

}  // namespace

int RunUnpair(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  // clang-format off
  options.add_options()
      ("yes", po::bool_switch(), "Confirm: really forget the partner.")
      ("forget-history", po::bool_switch(),
       "Also delete the whole history here, and ask your partner's daemon to delete theirs.");
  // clang-format on
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;
  bool forget_history = vm["forget-history"].as<bool>();
  if (!vm["yes"].as<bool>()) {
    return context.ReportUsageError(
        kUsage, forget_history
                    ? "this forgets your partner and deletes your whole history; add --yes to "
                      "confirm"
                    : "this forgets your partner's key and addresses; add --yes to confirm");
  }
  control::Request request;
  request.mutable_unpair()->set_confirm(true);
  request.mutable_unpair()->set_forget_history(forget_history);
  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    if (forget_history) {
      context.out() << "Unpaired: the history here is deleted, and your partner's daemon is "
                       "asked to delete theirs.\n";
    } else {
      context.out() << "Unpaired; the history stays.\n";
    }
    if (response.unpair().partner_told()) {
      context.out() << "Your partner's daemon knows, and their key and addresses are "
                       "forgotten here.\n";
    } else {
      context.out() << "Your partner's daemon is told as soon as it is reachable; until then "
                       "nothing else is sent ('inmost status' shows it). Run this again to "
                       "forget them now without telling them.\n";
    }
  });
}

}  // namespace inmost::cli
