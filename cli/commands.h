// The `inmost` commands: one function per command, each parsing its own options
// and printing its own output through a CommandContext. Commands never exit the
// process; they return an ExitCode.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/context.h"

namespace inmost::cli {

using CommandArgs = std::vector<std::string>;

int RunStatus(CommandContext& context, const CommandArgs& args);
int RunInvite(CommandContext& context, const CommandArgs& args);
int RunJoin(CommandContext& context, const CommandArgs& args);
int RunUnpair(CommandContext& context, const CommandArgs& args);
int RunSend(CommandContext& context, const CommandArgs& args);
int RunHistory(CommandContext& context, const CommandArgs& args);
int RunRead(CommandContext& context, const CommandArgs& args);
int RunWatch(CommandContext& context, const CommandArgs& args);
int RunChat(CommandContext& context, const CommandArgs& args);
int RunAsk(CommandContext& context, const CommandArgs& args);
int RunAnswer(CommandContext& context, const CommandArgs& args);
int RunToday(CommandContext& context, const CommandArgs& args);
int RunOpen(CommandContext& context, const CommandArgs& args);
int RunRetract(CommandContext& context, const CommandArgs& args);
int RunCancel(CommandContext& context, const CommandArgs& args);
int RunEnvelopes(CommandContext& context, const CommandArgs& args);
int RunNudge(CommandContext& context, const CommandArgs& args);
int RunReact(CommandContext& context, const CommandArgs& args);
int RunPresence(CommandContext& context, const CommandArgs& args);
int RunConfig(CommandContext& context, const CommandArgs& args);
int RunQuiet(CommandContext& context, const CommandArgs& args);
int RunPin(CommandContext& context, const CommandArgs& args);
int RunUnpin(CommandContext& context, const CommandArgs& args);
int RunPartner(CommandContext& context, const CommandArgs& args);
int RunMemories(CommandContext& context, const CommandArgs& args);
int RunRecall(CommandContext& context, const CommandArgs& args);
int RunSearch(CommandContext& context, const CommandArgs& args);
int RunForget(CommandContext& context, const CommandArgs& args);
int RunBackup(CommandContext& context, const CommandArgs& args);
int RunExport(CommandContext& context, const CommandArgs& args);
int RunTransfers(CommandContext& context, const CommandArgs& args);
int RunSave(CommandContext& context, const CommandArgs& args);
int RunEdit(CommandContext& context, const CommandArgs& args);
int RunVersions(CommandContext& context, const CommandArgs& args);
int RunView(CommandContext& context, const CommandArgs& args);
int RunDraft(CommandContext& context, const CommandArgs& args);
int RunWeb(CommandContext& context, const CommandArgs& args);
// `inmost web devices ...`, which RunWeb hands its arguments after "devices" to.
int RunWebDevices(CommandContext& context, const CommandArgs& args);
int RunDoctor(CommandContext& context, const CommandArgs& args);

struct Command {
  std::string_view name;
  std::string_view summary;  // One line for `inmost --help`.
  int (*run)(CommandContext& context, const CommandArgs& args);
};

// Every command, in the order `inmost --help` lists them.
std::span<const Command> Commands();

}  // namespace inmost::cli
