// `inmost partner addresses [--add A] [--remove A] [--set A]`: where this daemon
// dials the partner (LAN, public, onion), tried in order with the last that worked
// first; shows them, or edits them.
#include <ostream>

#include "cli/commands.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "partner", "addresses [--add HOST:PORT]... [--remove HOST:PORT]... [--set HOST:PORT]...",
    "Shows the addresses where your daemon reaches your partner's, in the order it\n"
    "tries them (the one that worked last comes first), or changes them:\n"
    "  --set replaces the list, --add puts an address first, --remove drops one.\n"
    "Addresses are host:port: an IP address ([::1]:7433 for IPv6), a name, or a Tor\n"
    "onion service (xxxx.onion:7433, reached with inmostd run --proxy). Your\n"
    "partner's daemon also tells yours where it listens each time you connect.\n"};

}  // namespace

int RunPartner(CommandContext& context, const CommandArgs& args) {
  using Addresses = std::vector<std::string>;
  po::options_description options("Options");
  options.add_options()("add", po::value<Addresses>()->value_name("HOST:PORT")->composing(),
                        "Try this address first.")(
      "remove", po::value<Addresses>()->value_name("HOST:PORT")->composing(),
      "Stop trying this address.")("set",
                                   po::value<Addresses>()->value_name("HOST:PORT")->composing(),
                                   "Replace the list (repeat for several).");
  po::options_description topic_option;
  topic_option.add_options()("topic", po::value<std::string>(), "What to show or change.");
  po::positional_options_description positional;
  positional.add("topic", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, topic_option, positional, &vm)) {
    return *done;
  }
  if (!vm.count("topic") || vm["topic"].as<std::string>() != "addresses") {
    return context.ReportUsageError(kUsage, "say what to show: inmost partner addresses");
  }
  control::Request request;
  auto* edit = request.mutable_partner_addresses();
  auto copy = [&](const char* name, google::protobuf::RepeatedPtrField<std::string>* to) {
    if (!vm.count(name)) return;
    for (const auto& address : vm[name].as<Addresses>()) *to->Add() = address;
  };
  copy("set", edit->mutable_set());
  copy("add", edit->mutable_add());
  copy("remove", edit->mutable_remove());
  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    const auto& addresses = response.partner_addresses().addresses();
    context.out() << "Your daemon reaches your partner at (in this order):\n";
    for (const auto& address : addresses) context.out() << "  " << address << '\n';
  });
}

}  // namespace inmost::cli
