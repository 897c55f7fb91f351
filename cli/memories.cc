// `inmost memories`: every pinned message.
#include <ostream>

#include "cli/commands.h"
#include "cli/message_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "memories", "",
    "Lists your shared memories, the messages either of you pinned ('inmost pin ID'),\n"
    "oldest first.\n"};

}  // namespace

int RunMemories(CommandContext& context, const CommandArgs& args) {
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, po::options_description(), &vm)) return *done;
  control::Request request;
  request.mutable_memories();
  return context.ConnectAndShow(
      request, [&context](const control::Response& response, const Speakers& speakers) {
        const control::MemoriesReply& memories = response.memories();
        if (memories.messages_size() == 0) {
          context.out() << "No memories yet: pin a message with 'inmost pin ID'.\n";
          return;
        }
        for (const control::Message& message : memories.messages()) {
          context.out() << FormatMessage(message, kDateTimeFormat, speakers) << '\n';
        }
      });
}

}  // namespace inmost::cli
