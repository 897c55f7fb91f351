// `inmost doctor`: checks, in order, what inmost needs and prints one line each with
// what to do: the daemon, the data directory, the clock against the partner's, the
// partner link, Tor, the port mapping, disk space and versions. It only reads: it
// never changes the daemon or the data directory.
#include <google/protobuf/struct.pb.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <optional>
#include <ostream>
#include <system_error>

#include "cli/commands.h"
#include "cli/doctor_checks.h"
#include "cli/exit_code.h"
#include "cli/text_format.h"
#include "inmost/data_dir.h"
#include "inmost/version.h"

namespace inmost::cli {
namespace {

namespace fs = std::filesystem;

constexpr CommandUsage kUsage{
    "doctor", "[options]",
    "Checks, in order, what inmost needs, and prints one line for each: whether the\n"
    "daemon runs and answers; whether its data directory is yours alone; whether your\n"
    "clock agrees with your partner's (sealed envelopes open by the sender's clock);\n"
    "the link to your partner (up, when it last was, and why each of their addresses\n"
    "failed); Tor and its onion service; the router's port mapping; free disk space;\n"
    "and the versions of both daemons. Each line says ok, warn, FAIL or skipped, and\n"
    "what to do. It changes nothing. Exits 0 when all is well, 4 when something needs\n"
    "looking at, 3 when no daemon answers. With --json, one object: {\"checks\": [...]}.\n"};

// Entries under the data directory are checked up to this many (a data directory holds a few
// hundred: the store's files and received files).
constexpr size_t kMaxEntriesChecked = 100'000;

// Entries under `dir` owned by another user than `dir` itself (the user the daemon
// runs as); links are not followed.
std::vector<std::string> ForeignPaths(const fs::path& dir, uid_t owner) {
  std::vector<std::string> foreign;
  std::error_code ec;
  size_t seen = 0;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end && seen < kMaxEntriesChecked; it.increment(ec), ++seen) {
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) == 0 && info.st_uid != owner) {
      foreign.push_back(it->path().string());
    }
  }
  return foreign;
}

LocalFacts GatherLocalFacts(const CommandContext& context) {
  LocalFacts facts;
  facts.client_version = std::string(BuildVersion());
  if (!context.globals().data_dir.empty()) {
    facts.data_dir = context.globals().data_dir;
  } else if (context.globals().socket.empty()) {
    Result<std::string> dir = DefaultDataDir();
    if (dir.ok()) facts.data_dir = *dir;
  }
  struct stat top {};
  facts.data_dir_here =
      !facts.data_dir.empty() && ::stat(facts.data_dir.c_str(), &top) == 0 && S_ISDIR(top.st_mode);
  if (!facts.data_dir_here) return facts;
  facts.data_dir_open = (top.st_mode & 077) != 0;
  facts.foreign_paths = ForeignPaths(facts.data_dir, top.st_uid);
  struct statvfs fs_info {};
  if (::statvfs(facts.data_dir.c_str(), &fs_info) == 0) {
    facts.free_bytes = uint64_t{fs_info.f_bavail} * fs_info.f_frsize;
  }
  return facts;
}

void PrintText(std::ostream& out, const std::vector<CheckResult>& checks) {
  for (const CheckResult& c : checks) {
    std::string state = CheckStateName(c.state);
    state.resize(8, ' ');
    out << state << c.check << ": " << c.finding << '\n';
    if (!c.advice.empty()) out << "        what to do: " << c.advice << '\n';
  }
}

void PrintJson(CommandContext& context, const std::vector<CheckResult>& checks) {
  google::protobuf::Struct report;
  google::protobuf::ListValue* list = (*report.mutable_fields())["checks"].mutable_list_value();
  for (const CheckResult& c : checks) {
    auto& fields = *list->add_values()->mutable_struct_value()->mutable_fields();
    fields["check"].set_string_value(c.check);
    fields["state"].set_string_value(c.state == CheckState::kFail ? "fail"
                                                                  : CheckStateName(c.state));
    fields["finding"].set_string_value(c.finding);
    fields["advice"].set_string_value(c.advice);
  }
  context.PrintJsonLine(report);
}

}  // namespace

int RunDoctor(CommandContext& context, const CommandArgs& args) {
  po::options_description options("Options");
  po::variables_map vm;
  if (auto done = context.ParseArgs(kUsage, args, options, &vm)) return *done;
  Result<std::string> socket = context.SocketPath();
  if (!socket.ok()) return context.ReportUsageError(kUsage, socket.status().message());
  const LocalFacts facts = GatherLocalFacts(context);

  std::vector<CheckResult> checks;
  int exit_code = kExitOk;
  std::optional<control::StatusReply> status;
  std::string unreachable;
  if (Result<Client> client = Client::Connect(*socket); !client.ok()) {
    unreachable = client.status().message();
  } else {
    control::Request request;
    request.mutable_status();
    Result<control::Response> reply = client->Call(request);
    if (reply.ok()) {
      status = reply->status();
    } else {
      unreachable = reply.status().message();
    }
  }
  if (!status) {
    // What can be checked without the daemon still is.
    checks = {CheckDaemonUnreachable(*socket, unreachable), CheckDataDir(facts), CheckDisk(facts)};
    exit_code = kExitUnreachable;
  } else {
    checks = CheckAll(*socket, *status, facts, NowUnixMs());
    for (const CheckResult& c : checks) {
      if (c.state == CheckState::kWarn || c.state == CheckState::kFail)
        exit_code = kExitDoctorFound;
    }
  }
  if (context.json()) {
    PrintJson(context, checks);
  } else {
    PrintText(context.out(), checks);
  }
  return exit_code;
}

}  // namespace inmost::cli
