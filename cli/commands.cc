#include "cli/commands.h"

#include <array>

namespace inmost::cli {
namespace {

constexpr std::array<Command, 38> kCommands = {{
    {"status", "Show your fingerprint, your partner's, the safety number and the link.",
     &RunStatus},
    {"invite", "Make a one-time invite code for your partner (optionally as a QR code).",
     &RunInvite},
    {"join", "Pair with the partner whose invite code you were given.", &RunJoin},
    {"unpair", "Forget your partner's key and addresses (and perhaps the history).", &RunUnpair},
    {"partner", "Show or change where your daemon reaches your partner's.", &RunPartner},
    {"send", "Send a text or files: now, sealed, gentle, together, scheduled, view-once.",
     &RunSend},
    {"edit", "Change the text of a message you sent; both of you keep every version.", &RunEdit},
    {"versions", "Show every text a message has had, oldest first.", &RunVersions},
    {"view", "Show a view-once message your partner sent, once; then it is gone.", &RunView},
    {"transfers", "Show the files being sent or received, with their progress.", &RunTransfers},
    {"save", "Write a file your partner sent out of the encrypted store.", &RunSave},
    {"nudge", "Send a nudge without words: a hug, a kiss, a goodnight ...", &RunNudge},
    {"react", "Put your reaction on a message, or take it off.", &RunReact},
    {"history", "Show the conversation.", &RunHistory},
    {"search", "Find the messages that hold some words.", &RunSearch},
    {"read", "Mark received messages as read.", &RunRead},
    {"pin", "Pin a message as a shared memory.", &RunPin},
    {"unpin", "Unpin a shared memory.", &RunUnpin},
    {"memories", "List your shared memories.", &RunMemories},
    {"recall", "Show what you said on this day a month ago and in earlier years.", &RunRecall},
    {"forget", "Forget a message on both sides, or answer your partner's asking to.", &RunForget},
    {"envelopes", "List sealed messages, questions and scheduled messages still pending.",
     &RunEnvelopes},
    {"open", "Open a gentle message your partner sent, when you are ready.", &RunOpen},
    {"retract", "Withdraw a sealed message of yours that has not been opened.", &RunRetract},
    {"cancel", "Cancel a scheduled message before it leaves.", &RunCancel},
    {"ask", "Ask a question you both answer; the answers open together.", &RunAsk},
    {"answer", "Answer a question (or today's); sealed until you both have answered.", &RunAnswer},
    {"today", "Show the question of the day, the same for you both.", &RunToday},
    {"presence", "Choose what your partner sees of you; see what they show you.", &RunPresence},
    {"quiet", "Be quiet for a while: only urgent messages are announced.", &RunQuiet},
    {"config", "List, show or set your boundaries and preferences.", &RunConfig},
    {"export", "Write the conversation as a Markdown document or JSON.", &RunExport},
    {"backup", "Write an encrypted archive of this daemon, sealed under a passphrase.", &RunBackup},
    {"watch", "Print events as JSON lines until interrupted.", &RunWatch},
    {"draft", "Show, keep or forget the message you started and have not sent.", &RunDraft},
    {"chat", "Chat interactively: see messages as they arrive, type lines to send.", &RunChat},
    {"web", "Serve the web client on this machine: prints the URL to open.", &RunWeb},
    {"doctor", "Check what inmost needs, one line each, with what to do.", &RunDoctor},
}};

}  // namespace

std::span<const Command> Commands() {
  return kCommands;
}

}  // namespace inmost::cli
