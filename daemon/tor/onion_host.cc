#include "daemon/tor/onion_host.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <utility>

#include "daemon/codec/tor/onion_key.h"
#include "daemon/core/timer.h"
#include "daemon/peer/backoff.h"
#include "daemon/tor/tor_controller.h"
#include "daemon/tor/tor_process.h"

namespace inmost::tor {

namespace asio = boost::asio;
using Phase = TorState::Phase;

namespace {

// Between attempts to reach or restart Tor: doubling, with jitter.
constexpr std::chrono::milliseconds kRetryInitial{1000};
constexpr std::chrono::milliseconds kRetryMax{60'000};
// An idle control connection is only waited on; Stop or Tor's end closes it.
constexpr std::chrono::hours kEventWait{1};
constexpr int kBootstrapDone = 100;
// How long a launched tor whose control connection closed may take to be seen exiting.
constexpr std::chrono::milliseconds kExitGrace{2000};
constexpr char kDebianTorGroupHint[] =
    "; to use the system's Tor, add yourself to the group debian-tor (sudo adduser $USER "
    "debian-tor) and log in again, or set tor = launch";

// Whether a failed Authenticate means that what answers at the control port does not
// speak Tor's control protocol with us (it closed, stalled, sent something that is not
// a reply or too much of one) rather than that Tor refused us: Tor's group hint, or
// "refused", would then mislead.
bool CannotTalk(const Status& status) {
  return status.code() == Code::kUnavailable || status.code() == Code::kCorruption ||
         status.code() == Code::kResourceExhausted;
}

// Why there is no onion service when the stored key does not load. A new key would
// change the .onion address the partner knows, and the partner could no longer reach
// us there: the damaged one is left as it is, for a backup to bring back.
std::string DamagedKey(const Status& why) {
  return "the onion service's key in the store is damaged (" + why.message() +
         "): no onion service, so your partner cannot reach this daemon through Tor (direct "
         "addresses still work). No new key is made, as it would change the .onion address "
         "your partner knows: restore a backup of this data directory (inmostd restore) to "
         "get the key back";
}

// The first address of GETINFO net/listeners/socks: "\"127.0.0.1:9050\" ..." -> 127.0.0.1:9050.
std::string FirstListener(const std::string& value) {
  std::string first = value.substr(0, value.find(' '));
  if (first.size() >= 2 && first.front() == '"' && first.back() == '"') {
    first = first.substr(1, first.size() - 2);
  }
  return first;
}

}  // namespace

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kOff:
      return "off";
    case Phase::kUnavailable:
      return "unavailable";
    case Phase::kStarting:
      return "starting";
    case Phase::kBootstrapping:
      return "bootstrapping";
    case Phase::kReady:
      return "ready";
    case Phase::kFailed:
      return "failed";
  }
  return "off";
}

struct OnionHost::Run {
  Run(asio::io_context& io, const core::Clock& clock, log::Logger& logger, TorOptions options,
      std::filesystem::path tor_dir, OnionKeyVault& vault, Observer observer)
      : io(io),
        clock(clock),
        logger(logger),
        options(std::move(options)),
        tor_dir(std::move(tor_dir)),
        vault(vault),
        observer(std::move(observer)),
        process(io, clock),
        retry(io, clock) {}

  // How one attempt ended: why, and whether trying again could help.
  struct End {
    Status why;
    bool final = false;
  };

  asio::awaitable<void> Loop();
  asio::awaitable<End> Attempt();
  asio::awaitable<End> Reach(TorController& controller);
  asio::awaitable<End> Serve(TorController& controller);
  // Follows Tor's events on the connection until it ends or the host stops.
  asio::awaitable<End> Follow(TorController& controller);
  // No onion service (`why`), but Tor stays: its SOCKS port reaches the partner's onion.
  void NoService(const std::string& why, const std::string& socks, int progress);
  void OnEvent(const ControlReply& event);
  void Change(const std::function<void(TorState&)>& edit);
  void Info(const std::string& line) {
    if (!stopped) logger.Info("tor: " + line);
  }

  asio::io_context& io;
  const core::Clock& clock;
  log::Logger& logger;
  const TorOptions options;
  const std::filesystem::path tor_dir;
  OnionKeyVault& vault;
  const Observer observer;
  TorProcess process;
  core::Timer retry;
  TorController* controller = nullptr;  // The attempt's, while one runs.
  uint16_t virtual_port = 0;
  std::string target;
  std::string service_id;
  std::string control_address;  // The attempt's control port, once connected.
  TorState state;
  std::string no_service;  // Why this Tor carries no onion service of ours, if so.
  bool stopped = false;
};

void OnionHost::Run::Change(const std::function<void(TorState&)>& edit) {
  TorState before = state;
  edit(state);
  if (stopped) return;
  if (state.phase != before.phase || state.progress != before.progress ||
      state.published != before.published || state.onion_address != before.onion_address ||
      state.socks != before.socks || state.control != before.control ||
      state.detail != before.detail) {
    observer(state);
  }
}

asio::awaitable<void> OnionHost::Run::Loop() {
  peer::Backoff backoff(kRetryInitial, kRetryMax);
  std::string last_problem;
  while (!stopped) {
    End end = co_await Attempt();
    controller = nullptr;
    if (stopped) break;
    Change([&](TorState& s) {
      s.phase =
          end.final && end.why.code() == Code::kNotFound ? Phase::kUnavailable : Phase::kFailed;
      s.detail = end.why.message();
      s.published = false;
      s.socks.clear();
      s.control.clear();
    });
    // Said once, not at every retry, until it changes.
    if (end.why.message() != last_problem) logger.Warning("tor: " + end.why.message());
    last_problem = end.why.message();
    if (end.final) break;
    process.Stop();
    co_await retry.WaitFor(backoff.Next());
  }
}

asio::awaitable<OnionHost::Run::End> OnionHost::Run::Attempt() {
  TorController tor_controller(io, clock);
  controller = &tor_controller;
  End reached = co_await Reach(tor_controller);
  if (!reached.why.ok() || stopped) co_return reached;
  End served = co_await Serve(tor_controller);
  tor_controller.Close();
  co_return served;
}

asio::awaitable<OnionHost::Run::End> OnionHost::Run::Reach(TorController& tor) {
  // A new attempt: the last one's failure is no longer why anything is so.
  Change([](TorState& s) {
    s.phase = Phase::kStarting;
    s.progress = 0;
    s.detail.clear();
  });
  const bool try_system = options.mode == TorMode::kSystem || options.mode == TorMode::kAuto;
  Status system_status = Unavailable("not tried");
  if (try_system) {
    system_status = co_await tor.Connect(options.control);
    if (system_status.ok()) {
      control_address = options.control;
      Change([](TorState& s) { s.source = "system"; });
      co_return End{Status::Ok()};
    }
    // Connect's errors name the control port and its address already.
    std::string why = system_status.message();
    if (system_status.code() == Code::kPermissionDenied) why += kDebianTorGroupHint;
    if (options.mode == TorMode::kSystem) co_return End{Unavailable(why)};
    if (!stopped) logger.Debug("tor: " + why + "; launching a tor of our own");
  }
  if (FindExecutable(options.binary).empty()) {
    co_return End{NotFound("not installed (apt install tor); reachable only on direct addresses"),
                  /*final=*/true};
  }
  const TorLaunch launch{options.binary, tor_dir, options.torrc};
  auto address = co_await process.Start(launch);
  if (!address.ok()) {
    co_return End{address.status(), address.status().code() == Code::kInvalidArgument};
  }
  Info("launched tor (pid " + std::to_string(process.pid()) + "), control port " + *address);
  Status connected = co_await tor.Connect(*address);
  if (!connected.ok()) co_return End{connected};
  control_address = *address;
  Change([](TorState& s) { s.source = "launched"; });
  co_return End{Status::Ok()};
}

asio::awaitable<OnionHost::Run::End> OnionHost::Run::Serve(TorController& tor) {
  // A default argument is a braced temporary too (see below): named.
  const AuthOptions automatic;
  Status authenticated = co_await tor.Authenticate(automatic);
  if (!authenticated.ok() && CannotTalk(authenticated)) {
    co_return End{Unavailable("cannot talk to Tor's control port at " + control_address + ": " +
                              authenticated.message())};
  }
  if (!authenticated.ok()) {
    std::string why = "Tor refused us: " + authenticated.message();
    if (state.source == "system") why += kDebianTorGroupHint;
    co_return End{Unavailable(why)};
  }
  // Braced temporaries inside co_await trip GCC 12: named values instead.
  std::vector<std::string> followed = {"STATUS_CLIENT", "HS_DESC"};
  Status events = co_await tor.SetEvents(std::move(followed));
  if (!events.ok()) co_return End{events};
  std::vector<std::string> socks_key = {"net/listeners/socks"};
  auto listeners = co_await tor.GetInfo(std::move(socks_key));
  if (!listeners.ok()) co_return End{listeners.status()};
  const std::string socks = FirstListener((*listeners)["net/listeners/socks"]);
  if (socks.empty()) {
    co_return End{
        FailedPrecondition("this Tor has no SOCKS port to reach the partner's onion "
                           "service through (set SocksPort in its torrc)")};
  }
  auto phase = co_await tor.GetBootstrapPhase();
  if (!phase.ok()) co_return End{phase.status()};
  if (stopped) co_return End{Status::Ok()};

  auto kept = vault.Load();
  if (!kept.ok()) {
    NoService(DamagedKey(kept.status()), socks, phase->progress);
    co_return co_await Follow(tor);
  }
  AddOnionRequest request;
  if (kept->has_value()) request.key = &**kept;
  request.ports.push_back({virtual_port, target});
  auto service = co_await tor.AddOnion(request);
  if (!service.ok()) co_return End{service.status()};
  if (stopped) co_return End{Status::Ok()};
  if (!kept->has_value()) {
    Status saved = vault.Save(service->private_key);
    if (!saved.ok()) {
      co_return End{Status(saved.code(), "cannot keep the new onion key: " + saved.message())};
    }
    Info("made the onion service's key; its address stays the same from now on");
  }
  service_id = service->service_id;
  const int progress = phase->progress;
  Change([&](TorState& s) {
    s.socks = socks;
    s.control = control_address;
    s.onion_address = service_id + ".onion:" + std::to_string(virtual_port);
    s.progress = progress;
    s.phase = progress >= kBootstrapDone ? Phase::kReady : Phase::kBootstrapping;
    s.detail = phase->summary;
    s.published = false;
  });
  Info("onion service " + state.onion_address + " added; Tor bootstrap at " +
       std::to_string(progress) + "%");
  co_return co_await Follow(tor);
}

void OnionHost::Run::NoService(const std::string& why, const std::string& socks, int progress) {
  // Said once per run of the daemon, not at every reconnection to Tor.
  if (why != no_service) logger.Warning("tor: " + why);
  no_service = why;
  Change([&](TorState& s) {
    s.phase = Phase::kFailed;
    s.detail = why;
    s.socks = socks;  // Tor still carries our dials to the partner's onion.
    s.control = control_address;
    s.progress = progress;
    s.published = false;
  });
}

asio::awaitable<OnionHost::Run::End> OnionHost::Run::Follow(TorController& tor) {
  while (!stopped) {
    auto event = co_await tor.NextEvent(kEventWait);
    if (stopped) break;
    if (!event.ok()) {
      if (state.source == "launched") {
        // A killed tor closes the connection as it exits; a tor that only stopped
        // answering is still running, and the retry stops it.
        std::optional<Status> exited = co_await process.ExitWithin(kExitGrace);
        if (exited) co_return End{*exited};
      }
      co_return End{Unavailable("lost Tor's control port: " + event.status().message())};
    }
    if (event->has_value()) OnEvent(**event);
  }
  co_return End{Status::Ok()};
}

void OnionHost::Run::OnEvent(const ControlReply& event) {
  const std::string name = EventName(event);
  if (name == "STATUS_CLIENT") {
    const std::string& text = event.lines.front().text;
    const auto at = text.find(" BOOTSTRAP ");
    if (at == std::string::npos) return;
    // ParseBootstrapPhase reads "NOTICE BOOTSTRAP PROGRESS=..." (after the event name).
    auto phase = ParseBootstrapPhase(text.substr(name.size() + 1));
    if (!phase.ok()) return;
    if (phase->progress != state.progress) {
      Info("bootstrap " + std::to_string(phase->progress) + "%: " + phase->summary);
    }
    Change([&](TorState& s) {
      s.progress = phase->progress;
      if (!no_service.empty()) return;  // Still failed, for the reason it gave.
      s.detail = phase->warning.empty() ? phase->summary : phase->warning;
      s.phase = phase->progress >= kBootstrapDone ? Phase::kReady : Phase::kBootstrapping;
    });
  } else if (name == "HS_DESC") {
    auto desc = ParseHsDescEvent(event);
    if (!desc.ok() || desc->address != service_id) return;
    if (desc->action == "UPLOADED" && !state.published) {
      Info("onion service " + state.onion_address + " published");
      Change([](TorState& s) { s.published = true; });
    }
  }
}

OnionHost::OnionHost(asio::io_context& io, const core::Clock& clock, log::Logger& logger,
                     TorOptions options, std::filesystem::path tor_dir, OnionKeyVault& vault,
                     Observer observer)
    : run_(std::make_shared<Run>(io, clock, logger, std::move(options), std::move(tor_dir), vault,
                                 std::move(observer))) {}

OnionHost::~OnionHost() {
  Stop();
}

void OnionHost::Start(uint16_t virtual_port, std::string target) {
  if (run_->options.mode == TorMode::kOff) return;
  run_->virtual_port = virtual_port;
  run_->target = std::move(target);
  asio::co_spawn(
      run_->io, [run = run_]() -> asio::awaitable<void> { co_await run->Loop(); }, asio::detached);
}

void OnionHost::Stop() {
  if (run_->stopped) return;
  run_->stopped = true;
  run_->retry.Cancel();
  if (run_->controller != nullptr) run_->controller->Close();
  run_->process.Stop();
}

const TorState& OnionHost::state() const {
  return run_->state;
}

}  // namespace inmost::tor
