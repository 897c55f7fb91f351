#include "tests/bench/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "inmost/data_dir.h"

extern char** environ;

namespace inmost::bench {
namespace {

constexpr auto kStartDeadline = std::chrono::seconds(20);
constexpr auto kPollInterval = std::chrono::milliseconds(20);
// Fine-grained: the start-up time is measured through it.
constexpr auto kStartPollInterval = std::chrono::milliseconds(1);

// Starts `args` with standard output to /dev/null and errors to `log_path`. The child
// gets SIGTERM should the benchmark die first (a failed Check exits at once), so no
// daemon outlives it.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    std::cerr << "bench: cannot start " << args[0] << '\n';
    std::exit(1);
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(127);
    int null = open("/dev/null", O_WRONLY);
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (null < 0 || log < 0 || dup2(null, 1) < 0 || dup2(log, 2) < 0) _exit(127);
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

void InitDataDir(const std::string& inmostd, const std::string& dir, const std::string& log_path) {
  pid_t pid = Spawn({inmostd, "init", "--data-dir", dir}, log_path);
  if (WaitExit(pid) != 0) Check(IoError("inmostd init failed; see " + log_path), dir);
}

void Check(const Status& status, const std::string& what) {
  if (status.ok()) return;
  std::cerr << "bench: " << what << ": " << status.ToString() << '\n';
  std::exit(1);
}

DaemonProcess::DaemonProcess(std::string inmostd, std::string name)
    : inmostd_(std::move(inmostd)), name_(std::move(name)) {
  std::string pattern = (std::filesystem::temp_directory_path() / "inmost-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Check(IoError("mkdtemp failed"), "temp dir");
  dir_ = pattern + "/" + name_;
  InitDataDir(inmostd_, dir_, dir_ + ".log");
}

DaemonProcess::DaemonProcess(std::string inmostd, std::string name, std::string data_dir)
    : inmostd_(std::move(inmostd)),
      name_(std::move(name)),
      dir_(std::move(data_dir)),
      owns_dir_(false) {}

DaemonProcess::~DaemonProcess() {
  Stop();
  if (owns_dir_) std::filesystem::remove_all(std::filesystem::path(dir_).parent_path());
}

void DaemonProcess::Start(const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {inmostd_,   "run",         "--data-dir",  dir_,
                                   "--listen", "127.0.0.1:0", "--log-level", "warning"};
  // No Tor unless a benchmark asks for one: the default would launch a tor.
  if (std::find(extra_args.begin(), extra_args.end(), "--tor") == extra_args.end()) {
    args.insert(args.end(), {"--tor", "off"});
  }
  // Nor a home router or LAN beacons: their multicast must not leave this machine.
  args.insert(args.end(), {"--port-mapping", "off", "--lan-discovery", "off"});
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = Spawn(args, dir_ + ".log");
  auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    auto client = Client::Connect(ControlSocketPath(dir_));
    if (client.ok()) {
      control::Request request;
      request.mutable_status();
      if (client->Call(request).ok()) return;
    }
    std::this_thread::sleep_for(kStartPollInterval);
  }
  Check(Unavailable("inmostd did not start; see " + dir_ + ".log"), name_);
}

void DaemonProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  WaitExit(pid_);
  pid_ = -1;
}

Client DaemonProcess::Connect() const {
  auto client = Client::Connect(ControlSocketPath(dir_));
  Check(client.status(), "connect to " + name_);
  return std::move(*client);
}

long DaemonProcess::ResidentKiB() const {
  return StatusKiB("VmRSS:");
}

long DaemonProcess::AnonymousKiB() const {
  return StatusKiB("RssAnon:");
}

long DaemonProcess::PeakResidentKiB() const {
  return StatusKiB("VmHWM:");
}

void DaemonProcess::ResetPeakResident() const {
  std::ofstream("/proc/" + std::to_string(pid_) + "/clear_refs") << "5";
}

long DaemonProcess::StatusKiB(const std::string& field) const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::strtol(line.c_str() + field.size(), nullptr, 10);
  }
  return -1;
}

void Pair(DaemonProcess& a, DaemonProcess& b) {
  Client ca = a.Connect();
  Client cb = b.Connect();
  control::Request where;
  where.mutable_status();
  auto listening = ca.Call(where);
  Check(listening.status(), "status");
  // Both daemons listen on loopback: an invite carries that only when asked to.
  control::Request invite;
  invite.mutable_invite()->add_addresses(listening->status().listen_address());
  auto code = ca.Call(invite);
  Check(code.status(), "invite");
  control::Request join;
  join.mutable_join()->set_code(code->invite().code());
  Check(cb.Call(join).status(), "join");
  auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
  control::Request status;
  status.mutable_status();
  while (std::chrono::steady_clock::now() < deadline) {
    auto sa = ca.Call(status);
    auto sb = cb.Call(status);
    if (sa.ok() && sb.ok() && sa->status().link_up() && sb->status().link_up()) return;
    std::this_thread::sleep_for(kPollInterval);
  }
  Check(Unavailable("the paired daemons did not bring their link up"), "pair");
}

}  // namespace inmost::bench
