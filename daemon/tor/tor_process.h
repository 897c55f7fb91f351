// A tor the daemon starts as its own child (`tor = launch`): it writes the torrc under
// the data directory (its own DataDirectory, ControlPort and SocksPort on 127.0.0.1 at
// ports tor picks, cookie authentication, __OwningControllerProcess so tor ends with
// the daemon, then the lines of `tor-torrc`), starts tor and waits for its control port.
// It must never leave a tor running after Stop, nor bind anything but loopback itself.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "daemon/core/clock.h"
#include "daemon/peer/asio.h"
#include "inmost/status.h"

namespace inmost::tor {

// How long tor may take to open its control port after it starts.
inline constexpr std::chrono::milliseconds kControlPortTimeout{30'000};

struct TorLaunch {
  std::string binary = "tor";    // On PATH unless it holds a '/'.
  std::filesystem::path dir;     // Ours alone: the torrc, tor's DataDirectory, its log.
  std::filesystem::path torrc;   // Extra lines (tor-torrc), or empty.
};

// The path of `binary` (as given when it holds a '/', else found on PATH), or "" when
// there is none that this user may run.
std::string FindExecutable(const std::string& binary);

class TorProcess {
 public:
  // `clock` must outlive this.
  TorProcess(boost::asio::io_context& io, const core::Clock& clock);
  ~TorProcess();  // Stop()
  TorProcess(const TorProcess&) = delete;
  TorProcess& operator=(const TorProcess&) = delete;

  // Starts tor as `launch` says and returns its control address ("127.0.0.1:PORT")
  // once the port and its cookie are written. NotFound without a tor binary;
  // InvalidArgument when tor-torrc cannot be read; Unavailable when tor exits first
  // (with the last error line of its log) or is not ready within kControlPortTimeout.
  boost::asio::awaitable<Result<std::string>> Start(const TorLaunch& launch);

  // How the child ended ("tor exited with status 1: <its last error>") if it exits
  // within `bound` (it may be just exiting when its control connection closes), or
  // nullopt while it still runs; at once when none runs.
  boost::asio::awaitable<std::optional<Status>> ExitWithin(std::chrono::milliseconds bound);

  // SIGTERM to the child, reaped within a few seconds (then SIGKILL). Idempotent.
  void Stop();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // The file tor writes its notices to.
  std::filesystem::path log_path() const { return dir_ / "tor.log"; }

 private:
  // Reaps the child if it has exited; true when it had.
  bool Reap();
  std::string LastLogProblem() const;

  boost::asio::io_context& io_;
  const core::Clock& clock_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int exit_status_ = 0;  // From waitpid, once reaped.
};

}  // namespace inmost::tor
