// `inmost join CODE`: pairs with the inviter named in an invite code.
#include <ostream>
#include <string>

#include "cli/commands.h"
#include "cli/passphrase.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "join", "CODE",
    "Dials the inviter named in CODE (made by their 'inmost invite') and pairs with\n"
    "them. The code may be split over several arguments or contain spaces and line\n"
    "breaks; they are ignored. CODE '-' reads it from standard input, which keeps\n"
    "the code's secret out of the process list. After pairing, compare the safety\n"
    "number with your partner over a channel you trust.\n"
    "\n"
    "When it cannot pair, it says for each address in the code what happened there:\n"
    "no connection (refused, unreachable) or no answer in time; an answer from a\n"
    "daemon that is not the inviter (this daemon itself, or another one); the inviter\n"
    "refusing the code (used, expired, or replaced by a newer invite); or a failed\n"
    "handshake.\n"};

// The longest code read from standard input: the daemon takes no longer text.
constexpr size_t kMaxCodeBytes = 8192;

}  // namespace

int RunJoin(CommandContext& context, const CommandArgs& args) {
  po::options_description options;
  po::options_description code_option;
  code_option.add_options()("code", po::value<std::vector<std::string>>()->required(),
                            "The invite code.");
  po::positional_options_description positional;
  positional.add("code", -1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, code_option, positional, &vm)) {
    return *done;
  }

  std::string code;
  for (const auto& part : vm["code"].as<std::vector<std::string>>()) {
    if (!code.empty()) code.push_back(' ');
    code += part;
  }
  control::Request request;
  if (code == "-") {
    Result<SecretBuffer> piped = ReadSecretInput(context, kMaxCodeBytes, SecretEnd::kEndOfInput);
    if (!piped.ok()) {
      return context.ReportUsageError(kUsage,
                                      "the code on standard input: " + piped.status().message());
    }
    request.mutable_join()->set_code(piped->view().data(), piped->size());
  } else {
    request.mutable_join()->set_code(code);
  }
  WipedOnExit wipe(*request.mutable_join()->mutable_code());
  return context.ConnectAndExchange(request, [&context](const control::Response& response) {
    const control::JoinReply& reply = response.join();
    std::ostream& out = context.out();
    out << "Paired with " << TerminalSafe(reply.partner_fingerprint()) << ".\n"
        << "Safety number:\n";
    for (const std::string& line : SafetyNumberLines(reply.safety_number())) {
      out << "  " << line << '\n';
    }
    out << "Compare it with your partner's ('inmost status') in person or on a call: if\n"
           "the numbers differ, someone is in between; run 'inmost unpair --yes'.\n";
  });
}

}  // namespace inmost::cli
