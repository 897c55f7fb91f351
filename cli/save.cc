// `inmost save ID [TO]`: downloads a received file over the control socket, decrypted
// and verified by the daemon, and writes it on this machine (which may not be the
// daemon's): into a temporary file beside the target, synced, then renamed to a name
// that is free. It never overwrites a file and never leaves a partial one behind.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <system_error>

#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/file_format.h"
#include "cli/text_format.h"
#include "daemon/core/files/file_names.h"

namespace inmost::cli {
namespace {

constexpr CommandUsage kUsage{
    "save", "ID [TO] [--to PATH]",
    "Writes the file your partner sent as message ID, decrypted: into the current\n"
    "directory under its own name, or to TO (or --to PATH): a directory, where it\n"
    "gets its own name, or a file that does not exist yet. Its own name is made safe\n"
    "first: no leading dots, no invisible or direction-changing characters, so it is\n"
    "saved as what it reads (history shows it as sent); when a file of that name is\n"
    "there already, it is saved as 'name (1).ext', 'name (2).ext' and so on. It never\n"
    "overwrites a file. The file is read from the daemon over its socket and written\n"
    "here, on the machine this command runs on (the daemon may be on another, its\n"
    "socket forwarded). A sealed file can be saved once it has opened, and any file\n"
    "only once all of it has arrived.\n"};

std::string Errno(const std::filesystem::path& path) {
  return OneLine(path.string()) + ": " + std::strerror(errno);
}

// A temporary file in `dir` that is removed again unless Keep() gave it a name.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& dir) {
    std::string pattern = (dir / ".inmost-save-XXXXXX").string();
    fd_ = ::mkstemp(pattern.data());  // Mode 0600.
    if (fd_ >= 0) path_ = pattern;
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }

  // Gives the synced file the name `to` (or, with `next_free`, the first free
  // numbered name beside it) without ever replacing a file; returns the name given.
  Result<std::filesystem::path> Keep(const std::filesystem::path& to, bool next_free) {
    if (::fsync(fd_) != 0) return IoError("cannot sync " + Errno(path_));
    std::filesystem::path name = to;
    for (int n = 1;; ++n) {
      // link() fails rather than replace: the no-overwrite rename.
      if (::link(path_.c_str(), name.c_str()) == 0) break;
      if (errno != EEXIST) return IoError("cannot create " + Errno(name));
      if (!next_free || n > core::kMaxNumberedNames) {
        return AlreadyExists(OneLine(to.string()) + " already exists; choose another name");
      }
      name = core::NumberedFileName(to, n);
    }
    ::unlink(path_.c_str());
    path_.clear();
    // The new name is durable before the save is reported.
    const std::filesystem::path dir = name.parent_path().empty() ? "." : name.parent_path();
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return IoError("cannot sync " + Errno(dir));
    const int synced = ::fsync(dir_fd);
    ::close(dir_fd);
    if (synced != 0) return IoError("cannot sync " + Errno(dir));
    return name;
  }

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

}  // namespace

int RunSave(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  options.add_options()("to", po::value<std::string>()->value_name("PATH"),
                        "Where to write it: a directory, or a new file's path. Default: the "
                        "current directory.");
  po::options_description positional_options;
  positional_options.add_options()("id", po::value<std::string>(), "The file's message id.")(
      "target", po::value<std::string>(), "Where to write it.");
  po::positional_options_description positional;
  positional.add("id", 1).add("target", 1);
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, positional_options, positional, &vm)) {
    return *done;
  }
  uint64_t id = 0;
  if (auto done = context.ReadIdArg(kUsage, vm, &id)) return *done;
  if (vm.count("to") && vm.count("target")) {
    return context.ReportUsageError(kUsage, "give TO or --to, not both");
  }
  std::string to = vm.count("to")       ? vm["to"].as<std::string>()
                   : vm.count("target") ? vm["target"].as<std::string>()
                                        : ".";
  if (to.empty()) return context.ReportUsageError(kUsage, "the target must not be empty");
  std::error_code ec;
  std::filesystem::path target = std::filesystem::absolute(to, ec);
  if (ec) {
    return context.ReportUsageError(kUsage,
                                    "cannot make " + OneLine(to) + " absolute: " + ec.message());
  }
  if (target.filename() == ".") target = target.parent_path();
  const bool into_dir = std::filesystem::is_directory(target, ec);
  const std::filesystem::path dir = into_dir ? target : target.parent_path();
  if (!into_dir && std::filesystem::exists(target, ec)) {
    context.err() << "inmost: " << OneLine(target.string())
                  << " already exists; choose another name\n";
    return kExitUsage;
  }

  int exit_code = kExitOk;
  std::optional<Client> client = context.Connect(&exit_code);
  if (!client) return exit_code;
  TempFile temp(dir);
  if (temp.fd() < 0) {
    context.err() << "inmost: cannot write in " << Errno(dir) << '\n';
    return kExitUsage;
  }
  control::Request request;
  request.mutable_download()->set_id(id);
  control::DownloadReply first;
  for (uint64_t offset = 0;;) {
    request.mutable_download()->set_offset(offset);
    control::Response response;
    if (auto failed = context.Call(*client, request, &response)) return *failed;
    const control::DownloadReply& part = response.download();
    if (offset == 0) first = part;
    const std::string& data = part.data();
    for (size_t done = 0; done < data.size();) {
      ssize_t n = ::write(temp.fd(), data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        context.err() << "inmost: cannot write " << Errno(temp.path()) << '\n';
        return kExitDaemonError;
      }
      done += static_cast<size_t>(n);
    }
    offset += data.size();
    if (part.end()) break;
    if (data.empty()) {
      context.err() << "inmost: the daemon sent no data before the end of the file\n";
      return kExitDaemonError;
    }
  }
  const std::filesystem::path name = into_dir ? target / core::SafeFileName(first.name()) : target;
  Result<std::filesystem::path> saved = temp.Keep(name, into_dir);
  if (!saved.ok()) {
    context.err() << "inmost: " << saved.status().message() << '\n';
    return saved.status().code() == Code::kAlreadyExists ? kExitUsage : kExitDaemonError;
  }
  if (context.json()) {
    control::SaveReply reply;
    reply.set_path(saved->string());
    reply.set_size(first.size());
    context.PrintJsonLine(reply);
    return kExitOk;
  }
  context.out() << "saved " << OneLine(saved->filename().string()) << " ("
                << FormatBytes(first.size()) << ") to " << OneLine(saved->string()) << '\n';
  return kExitOk;
}

}  // namespace inmost::cli
