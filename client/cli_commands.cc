#include "client/cli_commands.h"

#include <array>

namespace inmost::cli {
namespace {

constexpr std::array<Command, 9> kCommands = {{
    {"status", "Show your fingerprint, your partner's, the safety number and the link.",
     &RunStatus},
    {"invite", "Make a one-time invite code for your partner (optionally as a QR code).",
     &RunInvite},
    {"join", "Pair with the partner whose invite code you were given.", &RunJoin},
    {"unpair", "Forget your partner's key and addresses (history stays).", &RunUnpair},
    {"send", "Send a text message to your partner.", &RunSend},
    {"history", "Show the conversation.", &RunHistory},
    {"read", "Mark received messages as read.", &RunRead},
    {"watch", "Print events as JSON lines until interrupted.", &RunWatch},
    {"chat", "Chat interactively: see messages as they arrive, type lines to send.", &RunChat},
}};

}  // namespace

std::span<const Command> Commands() {
  return kCommands;
}

}  // namespace inmost::cli
