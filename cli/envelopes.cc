// `inmost envelopes`: what is still pending on either side.
#include <ostream>

#include "cli/commands.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "envelopes", "",
    "Lists what is still pending on either side, oldest first: sealed, gentle and\n"
    "together messages not yet opened or withdrawn, questions not yet answered by\n"
    "both of you, and scheduled messages not yet sent, each with its state and what\n"
    "you can do about it.\n"};

}  // namespace

int RunEnvelopes(CommandContext& context, const CommandArgs& args) {
  po::options_description options;
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;
  control::Request request;
  request.mutable_envelopes();
  return context.ConnectAndShow(
      request, [&context](const control::Response& response, const Speakers& speakers) {
        const control::EnvelopesReply& envelopes = response.envelopes();
        if (envelopes.messages_size() == 0) {
          context.out() << "Nothing is pending.\n";
          return;
        }
        for (const control::Message& message : envelopes.messages()) {
          context.out() << FormatMessage(message, kDateTimeFormat, speakers) << '\n';
        }
      });
}

}  // namespace inmost::cli
