#include "daemon/tor/tor_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "daemon/core/timer.h"

extern char** environ;

namespace inmost::tor {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// How often the control-port file is looked for while tor starts.
constexpr std::chrono::milliseconds kPortFilePoll{50};
// Tor's control cookie (control-spec 3.24).
constexpr uintmax_t kCookieBytes = 32;
// Stop(): how long tor gets after SIGTERM before SIGKILL.
constexpr std::chrono::milliseconds kStopGrace{5000};
// How often ExitWithin looks whether the child has exited.
constexpr std::chrono::milliseconds kExitPoll{20};

std::string ReadSmallFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "PORT=127.0.0.1:9051" as ControlPortWriteToFile writes it: "127.0.0.1:9051".
std::string ControlAddressIn(const std::string& text) {
  const std::string key = "PORT=";
  auto at = text.find(key);
  if (at == std::string::npos) return "";
  auto end = text.find_first_of("\r\n", at);
  return text.substr(at + key.size(), end == std::string::npos ? end : end - at - key.size());
}

Status WriteTorrc(const TorLaunch& launch, const fs::path& path) {
  std::vector<std::string> lines = {
      "DataDirectory " + (launch.dir / "data").string(),
      "RunAsDaemon 0",
      "ShutdownWaitLength 0",
      "__OwningControllerProcess " + std::to_string(getpid()),
      "ControlPort 127.0.0.1:auto",
      "ControlPortWriteToFile " + (launch.dir / "control-port").string(),
      "CookieAuthentication 1",
      "CookieAuthFile " + (launch.dir / "control-cookie").string(),
      "SocksPort 127.0.0.1:auto",
      "Log notice stdout",
  };
  if (!launch.torrc.empty()) {
    std::ifstream extra(launch.torrc);
    if (!extra) {
      return InvalidArgument("cannot read tor-torrc " + launch.torrc.string() + ": " +
                             std::strerror(errno));
    }
    for (std::string line; std::getline(extra, line);) lines.push_back(line);
  }
  std::ofstream out(path, std::ios::trunc);
  for (const auto& line : lines) out << line << '\n';
  out.close();
  if (!out) return IoError("cannot write " + path.string());
  return Status::Ok();
}

}  // namespace

std::string FindExecutable(const std::string& binary) {
  if (binary.empty()) return "";
  if (binary.find('/') != std::string::npos) {
    return access(binary.c_str(), X_OK) == 0 ? binary : "";
  }
  const char* path = getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + binary;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

TorProcess::TorProcess(asio::io_context& io, const core::Clock& clock) : io_(io), clock_(clock) {}

TorProcess::~TorProcess() {
  Stop();
}

asio::awaitable<Result<std::string>> TorProcess::Start(const TorLaunch& launch) {
  Stop();
  const std::string binary = FindExecutable(launch.binary);
  if (binary.empty()) co_return NotFound("tor is not installed (apt install tor)");
  dir_ = launch.dir;
  std::error_code ec;
  fs::create_directories(dir_ / "data", ec);
  if (ec) co_return IoError("cannot create " + (dir_ / "data").string() + ": " + ec.message());
  fs::permissions(dir_, fs::perms::owner_all, ec);
  fs::permissions(dir_ / "data", fs::perms::owner_all, ec);
  const fs::path port_file = dir_ / "control-port";
  const fs::path cookie_file = dir_ / "control-cookie";
  fs::remove(port_file, ec);
  const fs::path torrc = dir_ / "torrc";
  Status written = WriteTorrc(launch, torrc);
  if (!written.ok()) co_return written;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  const std::string log = log_path().string();
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const std::string torrc_path = torrc.string();
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()), const_cast<char*>("-f"),
                             const_cast<char*>(torrc_path.c_str()),
                             const_cast<char*>("--defaults-torrc"),
                             const_cast<char*>("/dev/null"), nullptr};
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) co_return Unavailable("cannot start " + binary + ": " + std::strerror(spawned));
  pid_ = pid;

  core::Timer poll(io_, clock_);
  const auto deadline = clock_.SteadyNow() + kControlPortTimeout;
  while (true) {
    if (Reap()) co_return Unavailable(LastLogProblem());
    const std::string address = ControlAddressIn(ReadSmallFile(port_file));
    // The cookie may be written just after the port file.
    if (!address.empty() && fs::file_size(cookie_file, ec) == kCookieBytes) co_return address;
    if (clock_.SteadyNow() >= deadline) {
      Stop();
      co_return Unavailable("tor opened no control port within " +
                            std::to_string(kControlPortTimeout.count() / 1000) + " s (see " +
                            log + ")");
    }
    co_await poll.WaitFor(kPortFilePoll);
  }
}

asio::awaitable<std::optional<Status>> TorProcess::ExitWithin(std::chrono::milliseconds bound) {
  core::Timer poll(io_, clock_);
  const auto deadline = clock_.SteadyNow() + bound;
  while (!Reap()) {
    if (clock_.SteadyNow() >= deadline) co_return std::nullopt;
    co_await poll.WaitFor(kExitPoll);
  }
  co_return Unavailable(LastLogProblem());
}

bool TorProcess::Reap() {
  if (pid_ <= 0) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  exit_status_ = status;
  pid_ = -1;
  return true;
}

void TorProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const auto give_up = std::chrono::steady_clock::now() + kStopGrace;
  // Shutdown only: tor with ShutdownWaitLength 0 exits within milliseconds.
  while (!Reap()) {
    if (std::chrono::steady_clock::now() >= give_up) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      exit_status_ = status;
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string TorProcess::LastLogProblem() const {
  std::string how = WIFSIGNALED(exit_status_)
                        ? "tor was killed by signal " + std::to_string(WTERMSIG(exit_status_))
                        : "tor exited with status " + std::to_string(WEXITSTATUS(exit_status_));
  // Tor says why in its last [err] or [warn] line.
  std::ifstream log(log_path());
  std::string last;
  for (std::string line; std::getline(log, line);) {
    if (line.find("[err]") != std::string::npos || line.find("[warn]") != std::string::npos) {
      last = line;
    }
  }
  if (auto at = last.find("] "); at != std::string::npos) last = last.substr(at + 2);
  return last.empty() ? how : how + ": " + last;
}

}  // namespace inmost::tor
