// `inmost backup FILE`: an encrypted archive of this daemon, sealed under a passphrase.
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <ostream>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/passphrase.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "backup", "FILE",
    "Writes an encrypted archive of this daemon (its identity, your partner, the whole\n"
    "history) to FILE, sealed under a passphrase you choose (Argon2id and\n"
    "XChaCha20-Poly1305). 'inmostd restore FILE --data-dir DIR' makes a data\n"
    "directory from it again.\n"
    "The daemon writes FILE itself, on its own machine and as its own user: a relative\n"
    "FILE is taken from the directory you run this in, and FILE must not exist yet.\n"
    "At a terminal you type the passphrase twice, unseen; otherwise it is the first\n"
    "line of standard input (printf '%s\\n' \"$PASS\" | inmost backup FILE). It must\n"
    "have at least 8 bytes. Without it the archive cannot be opened: keep it safe.\n"};

constexpr size_t kMinPassphraseBytes = 8;

// "5.2 MiB", "812 bytes".
std::string Size(uint64_t bytes) {
  constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + ' ' + kUnits[0];
  double size = static_cast<double>(bytes);
  size_t unit = 0;
  while (size >= 1024 && unit + 1 < std::size(kUnits)) {
    size /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", size, kUnits[unit]);
  return text;
}

}  // namespace

int RunBackup(CommandContext& context, const CommandArgs& args) {
  po::options_description file_option;
  file_option.add_options()("file", po::value<std::string>(), "Where to write the archive.");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, po::options_description(), file_option,
                                    positional, &vm)) {
    return *done;
  }
  if (!vm.count("file") || vm["file"].as<std::string>().empty()) {
    return context.ReportUsageError(kUsage, "give the FILE to write the backup to");
  }
  std::error_code error;
  // The daemon has its own working directory: a relative path means ours.
  std::filesystem::path path = std::filesystem::absolute(vm["file"].as<std::string>(), error);
  if (error) {
    return context.ReportUsageError(kUsage, "cannot make FILE absolute: " + error.message());
  }

  // Connected first, so nobody types a passphrase twice for a daemon that is not there.
  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  Result<SecretBuffer> passphrase = ReadNewPassphrase(context, kMinPassphraseBytes);
  if (!passphrase.ok()) return context.ReportUsageError(kUsage, passphrase.status().message());

  control::Request request;
  request.mutable_backup()->set_path(path.lexically_normal().string());
  request.mutable_backup()->set_passphrase(passphrase->view().data(), passphrase->size());
  WipedOnExit wipe(*request.mutable_backup()->mutable_passphrase());
  return context.Exchange(*client, request, [&context](const control::Response& response) {
    const control::BackupReply& backup = response.backup();
    context.out() << "Backup written to " << TerminalSafe(backup.path()) << ": "
                  << Count(backup.records(), "record") << ", " << Size(backup.bytes()) << ".\n"
                  << "Restore it with: inmostd restore " << TerminalSafe(backup.path())
                  << " --data-dir DIR (the passphrase on standard input).\n";
  });
}

}  // namespace inmost::cli
