// `inmost unpair --yes`: forgets the partner.
#include <ostream>

#include "client/cli_commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "unpair", "--yes",
    "Forgets your partner: their key and addresses. The history stays. To talk again\n"
    "you must pair anew with an invite, so this asks for --yes.\n"};

}  // namespace

int RunUnpair(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("yes", po::bool_switch(), "Confirm: really forget the partner.");
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;
  if (!vm["yes"].as<bool>()) {
    return context.ReportUsageError(
        kUsage, "this forgets your partner's key and addresses; add --yes to confirm");
  }
  control::Request request;
  request.mutable_unpair()->set_confirm(true);
  return context.ConnectAndExchange(request, [&context](const control::Response&) {
    context.out() << "Unpaired: your partner's key and addresses are forgotten; the history "
                     "stays.\n";
  });
}

}  // namespace inmost::cli
