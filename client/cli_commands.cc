#include "client/cli_commands.h"

#include <array>

namespace inmost::cli {
namespace {

constexpr std::array<Command, 16> kCommands = {{
    {"status", "Show your fingerprint, your partner's, the safety number and the link.",
     &RunStatus},
    {"invite", "Make a one-time invite code for your partner (optionally as a QR code).",
     &RunInvite},
    {"join", "Pair with the partner whose invite code you were given.", &RunJoin},
    {"unpair", "Forget your partner's key and addresses (history stays).", &RunUnpair},
    {"send", "Send a message: now, sealed until a time, gentle, together or scheduled.", &RunSend},
    {"history", "Show the conversation.", &RunHistory},
    {"read", "Mark received messages as read.", &RunRead},
    {"envelopes", "List sealed messages, questions and scheduled messages still pending.",
     &RunEnvelopes},
    {"open", "Open a gentle message your partner sent, when you are ready.", &RunOpen},
    {"retract", "Withdraw a sealed message of yours that has not been opened.", &RunRetract},
    {"cancel", "Cancel a scheduled message before it leaves.", &RunCancel},
    {"ask", "Ask a question you both answer; the answers open together.", &RunAsk},
    {"answer", "Answer a question (or today's); sealed until you both have answered.", &RunAnswer},
    {"today", "Show the question of the day, the same for you both.", &RunToday},
    {"watch", "Print events as JSON lines until interrupted.", &RunWatch},
    {"chat", "Chat interactively: see messages as they arrive, type lines to send.", &RunChat},
}};

}  // namespace

std::span<const Command> Commands() {
  return kCommands;
}

}  // namespace inmost::cli
