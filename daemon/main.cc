// inmostd: a thin main over the daemon library. It parses the command line, reads
// a passphrase if asked, and runs one io_context until SIGINT or SIGTERM.
#include <malloc.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>

#include "daemon/config/command_line.h"
#include "daemon/config/reload.h"
#include "daemon/config/test_hooks.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/daemon.h"
#include "daemon/service_notify.h"
#include "daemon/store/backup_archive.h"
#include "inmost/secret_input.h"
#include "inmost/version.h"

namespace {

// How long a stopping daemon waits for the home router to drop its port mapping.
constexpr std::chrono::seconds kStopWaitsForRouter{5};

// Keys live in this process's memory: never let them reach a core file.
void DisableCoreDumps() {
  rlimit none{0, 0};
  setrlimit(RLIMIT_CORE, &none);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

// Large buffers (long histories, encoded replies) come straight from the kernel and
// go back to it when freed, and freed heap beyond a little is returned too, so a
// burst of them does not leave the daemon's resident memory high for ever (glibc
// keeps freed heap memory). A file chunk's buffers (64 KiB, several per chunk, many
// chunks a second) stay below the threshold: mapping and unmapping each of them
// cost more than the crypto.
void ReturnLargeBuffersToTheKernel() {
  constexpr int kLargeBufferBytes = 128 * 1024;
  constexpr int kTrimAboveBytes = 1024 * 1024;
  mallopt(M_MMAP_THRESHOLD, kLargeBufferBytes);
  mallopt(M_TRIM_THRESHOLD, kTrimAboveBytes);
}

// Reads the passphrase, one line of standard input; `source` names what asked for it
// in errors. read(2) puts it straight into wiped memory (inmost/secret_input.h): a
// copy in stdin's buffer would stay in the daemon's memory for as long as it runs.
inmost::Result<inmost::crypto::SecretBytes> ReadPassphrase(const std::string& source) {
  constexpr size_t kMaxPassphrase = 4095;
  auto line = inmost::ReadSecret(STDIN_FILENO, kMaxPassphrase, inmost::SecretEnd::kLine);
  if (!line.ok()) {
    return inmost::Status(line.status().code(), source + ": the passphrase on standard input: " +
                                                    line.status().message());
  }
  if (line->empty()) {
    return inmost::InvalidArgument(source + ": no passphrase on standard input");
  }
  return inmost::crypto::SecretBytes::CopyOf(line->bytes());
}

// Applies what a SIGHUP may change (config/reload.h) and says what waits for a restart.
void Reload(int argc, char** argv, inmost::config::Command& running, inmost::Daemon& daemon,
            inmost::log::Logger& log) {
  inmost::NotifyServiceManager("RELOADING=1");
  auto reread =
      inmost::config::ParseCommandLine(argc, argv, [](const char* n) { return std::getenv(n); });
  if (!reread.ok()) {
    log.Error("reload: " + reread.status().message() + "; the running settings stay");
  } else {
    inmost::config::ReloadPlan plan = inmost::config::PlanReload(running, *reread);
    log.set_min_level(plan.log_level);
    running.log_level = plan.log_level;
    if (plan.advertise != running.daemon.advertise) {
      running.daemon.advertise = plan.advertise;
      daemon.SetAdvertisedAddresses(plan.advertise);
    }
    if (!plan.quiet_hours.empty()) {
      inmost::Status set = daemon.SetQuietHours(plan.quiet_hours);
      if (!set.ok()) log.Error("reload: quiet-hours: " + set.message());
    }
    for (const auto& option : plan.needs_restart) {
      log.Warning("reload: " + option + " changed; it takes effect when inmostd restarts");
    }
    log.Info("reloaded: log level, advertised addresses and quiet hours applied");
  }
  inmost::NotifyServiceManager("READY=1");
}

int Fail(const inmost::Status& status) {
  std::cerr << "inmostd: " << status.message() << '\n';
  return 1;
}

// inmostd restore: a new data directory from a backup archive, passphrase on stdin.
int Restore(const inmost::config::Command& command) {
  auto passphrase = ReadPassphrase("restore");
  if (!passphrase.ok()) return Fail(passphrase.status());
  auto restored =
      inmost::store::RestoreBackup(command.backup_file, *passphrase, command.daemon.data_dir);
  if (!restored.ok()) return Fail(restored.status());
  const std::string dir = command.daemon.data_dir.string();
  std::cout << "restored " << restored->records
            << (restored->records == 1 ? " record and " : " records and ") << restored->files
            << (restored->files == 1 ? " file into " : " files into ") << dir
            << "; start it with: inmostd run --data-dir " << dir << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  DisableCoreDumps();
  ReturnLargeBuffersToTheKernel();
  if (sodium_init() < 0) return Fail(inmost::Unavailable("libsodium failed to initialise"));
  auto command =
      inmost::config::ParseCommandLine(argc, argv, [](const char* n) { return std::getenv(n); });
  if (!command.ok()) {
    std::cerr << "inmostd: " << command.status().message() << '\n';
    return 2;
  }
  if (command->verb == inmost::config::Command::Verb::kHelp) {
    std::cout << command->help_text;
    return 0;
  }

  if (command->verb == inmost::config::Command::Verb::kVersion) {
    std::cout << "inmostd " << inmost::BuildVersion() << '\n';
    return 0;
  }
  if (command->verb == inmost::config::Command::Verb::kRestore) return Restore(*command);

  std::optional<inmost::crypto::SecretBytes> passphrase;
  if (command->passphrase_stdin) {
    auto read = ReadPassphrase("--passphrase-stdin");
    if (!read.ok()) return Fail(read.status());
    passphrase = std::move(*read);
  }
  const inmost::crypto::SecretBytes* pass = passphrase ? &*passphrase : nullptr;

  if (command->verb == inmost::config::Command::Verb::kInit) {
    inmost::Status status = inmost::InitDataDir(command->daemon.data_dir, pass);
    passphrase.reset();  // Wiped as soon as the key is wrapped.
    if (!status.ok()) return Fail(status);
    std::cout << "initialised " << command->daemon.data_dir.string() << '\n';
    return 0;
  }

  inmost::log::Logger log(std::cerr, command->log_level);
  if (command->clock_offset_ms != 0) {
    log.Warning("test hook: this daemon's clock is shifted by " +
                std::to_string(command->clock_offset_ms) + " ms ($" +
                inmost::config::kTestClockOffsetVariable + ")");
  } else if (!inmost::config::TestHooksBuilt() &&
             std::getenv(inmost::config::kTestClockOffsetVariable) != nullptr) {
    log.Warning(std::string("$") + inmost::config::kTestClockOffsetVariable +
                " is ignored: this inmostd was built without test hooks");
  }
  inmost::core::SystemClock clock{std::chrono::milliseconds(command->clock_offset_ms)};
  boost::asio::io_context io(1);
  auto daemon = inmost::Daemon::Open(io, command->daemon, pass, clock, log);
  passphrase.reset();  // Wiped as soon as the key is unwrapped.
  if (!daemon.ok()) return Fail(daemon.status());
  if (inmost::Status status = (*daemon)->Start(); !status.ok()) return Fail(status);
  inmost::NotifyServiceManager("READY=1");

  // SIGHUP: read the command line and config file again; apply what can change now.
  boost::asio::signal_set hangups(io, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangups.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      Reload(argc, argv, *command, **daemon, log);
      await_hangup();
    });
  };
  await_hangup();

  boost::asio::steady_timer stop_deadline(io);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log.Info("signal " + std::to_string(signal) + ": stopping");
    inmost::NotifyServiceManager("STOPPING=1");
    (*daemon)->Stop();
    hangups.cancel();
    // The router is asked to drop the port mapping first, for a few seconds at most.
    (*daemon)->WhenStopped([&io] { io.stop(); });
    stop_deadline.expires_after(kStopWaitsForRouter);
    stop_deadline.async_wait([&io](const boost::system::error_code&) { io.stop(); });
  });
  io.run();
  log.Info("stopped");
  return 0;
}
