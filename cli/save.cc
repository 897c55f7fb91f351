// `inmost save ID [--to PATH]`: writes a received file out, decrypted.
#include <filesystem>
#include <ostream>
#include <system_error>

#include "cli/commands.h"
#include "cli/file_format.h"
#include "cli/text_format.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "save", "ID [--to PATH]",
    "Writes the file your partner sent as message ID out of the encrypted store,\n"
    "decrypted: into the current directory under its own name, or to --to PATH (a\n"
    "directory, where it gets its own name, or a file that does not exist yet). Its\n"
    "own name is made safe first: no leading dots, no invisible or direction-changing\n"
    "characters, so it is saved as what it reads (history shows it as sent); when a\n"
    "file of that name is there already, it is saved as 'name (1).ext', 'name (2).ext'\n"
    "and so on. It never overwrites a file. The daemon writes it, so PATH must be a place the\n"
    "daemon's user may write to, on the daemon's machine. A sealed file can be saved\n"
    "once it has opened, and any file only once all of it has arrived.\n"};

}  // namespace

int RunSave(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("to", po::value<std::string>()->value_name("PATH"),
                        "Where to write it: a directory, or a new file's path. Default: the "
                        "current directory.");
  po::options_description positional_options;
  positional_options.add_options()("id", po::value<std::string>(), "The file's message id.");
  po::positional_options_description positional;
  positional.add("id", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, positional_options, positional, &vm)) {
    return *done;
  }
  uint64_t id = 0;
  if (auto done = context.ReadIdArg(kUsage, vm, &id)) return *done;
  std::string to = vm.count("to") ? vm["to"].as<std::string>() : ".";
  if (to.empty()) return context.ReportUsageError(kUsage, "--to must not be empty");
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(to, ec);
  if (ec) {
    return context.ReportUsageError(
        kUsage, "--to: cannot make " + OneLine(to) + " absolute: " + ec.message());
  }
  // "/home/me/." is the directory itself: hand the daemon "/home/me".
  if (absolute.filename() == ".") absolute = absolute.parent_path();

  control::Request request;
  request.mutable_save()->set_id(id);
  request.mutable_save()->set_to(absolute.string());
  return context.ConnectAndExchange(request, [&](const control::Response& response) {
    const control::SaveReply& saved = response.save();
    std::filesystem::path path(saved.path());
    context.out() << "saved " << OneLine(path.filename().string()) << " ("
                  << FormatBytes(saved.size()) << ") to " << OneLine(saved.path()) << '\n';
  });
}

}  // namespace inmost::cli
