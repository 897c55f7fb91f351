#include "daemon/web_onion.h"

#include <sodium.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <utility>
#include <vector>

#include "daemon/codec/tor/client_auth.h"
#include "daemon/crypto/bytes.h"
#include "daemon/tor/tor_controller.h"

namespace inmost {

namespace asio = boost::asio;
using Phase = tor::TorState::Phase;

namespace {

// A connection that carries a service and nothing else is only waited on: Stop, a
// release or Tor's end closes it.
constexpr std::chrono::hours kIdleWait{1};
// Where the service leads while the daemon adds it only to learn its address (a
// device added with no `inmost web --onion` running): nowhere, and it is deleted at
// once.
constexpr char kNowhere[] = "127.0.0.1:9";

std::string Target(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace

struct WebOnion::Run : std::enable_shared_from_this<WebOnion::Run> {
  Run(asio::io_context& io, const core::Clock& clock, log::Logger& logger, WebOnionStore& store,
      TorStateSource tor_state)
      : io(io), clock(clock), logger(logger), store(store), tor_state(std::move(tor_state)) {}

  struct Holder {
    uint64_t session = 0;
    uint16_t port = 0;
  };

  // One change at a time: DEL_ONION then ADD_ONION must not interleave with another.
  asio::awaitable<void> Acquire();
  void Yield();
  // Why Tor cannot take the service now, or ok with its control address.
  Result<std::string> ControlAddress() const;
  asio::awaitable<Status> Connect();
  // Makes Tor's side match the store and the holder: the service published with every
  // device's key while a session holds it and there is a device, nothing otherwise;
  // `learn` adds it for a moment when its address is not known yet.
  asio::awaitable<Status> Apply(bool learn);
  asio::awaitable<Status> ApplyInTurn(bool learn);
  // Waits on `controller` until it closes; a service lost with it is published again
  // once Tor is back (OnTorState).
  static asio::awaitable<void> Watch(std::shared_ptr<Run> run,
                                     std::shared_ptr<tor::TorController> controller);
  void CloseController();

  asio::io_context& io;
  const core::Clock& clock;
  log::Logger& logger;
  WebOnionStore& store;
  const TorStateSource tor_state;
  std::shared_ptr<tor::TorController> controller;
  std::shared_ptr<tor::TorController> watched;  // The connection Watch follows.
  std::optional<Holder> holder;
  std::string service_id;
  bool published = false;
  bool busy = false;
  bool stopped = false;
  std::deque<asio::steady_timer*> waiting;
};

asio::awaitable<void> WebOnion::Run::Acquire() {
  if (!busy) {
    busy = true;
    co_return;
  }
  // Woken by Yield (or Stop), which hands the turn over: busy stays set.
  asio::steady_timer turn(io, asio::steady_timer::time_point::max());
  waiting.push_back(&turn);
  boost::system::error_code ignored;
  co_await turn.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

void WebOnion::Run::Yield() {
  if (waiting.empty()) {
    busy = false;
    return;
  }
  asio::steady_timer* next = waiting.front();
  waiting.pop_front();
  next->cancel();
}

Result<std::string> WebOnion::Run::ControlAddress() const {
  const tor::TorState& tor = tor_state();
  switch (tor.phase) {
    case Phase::kOff:
      return FailedPrecondition(
          "Tor is off for this daemon, so the web client can have no onion service: start "
          "inmostd with --tor auto (or set tor = auto in its config) and try again");
    case Phase::kUnavailable:
      return FailedPrecondition("this daemon has no Tor (" + tor.detail +
                                "), so the web client can have no onion service");
    default:
      break;
  }
  if (tor.control.empty()) {
    return Unavailable("the daemon's Tor is not reachable yet (" +
                       std::string(PhaseName(tor.phase)) +
                       (tor.detail.empty() ? "" : ": " + tor.detail) +
                       "); try again once `inmost status` shows Tor ready");
  }
  return tor.control;
}

asio::awaitable<Status> WebOnion::Run::Connect() {
  if (controller && controller->open()) co_return Status::Ok();
  auto address = ControlAddress();
  if (!address.ok()) co_return address.status();
  auto fresh = std::make_shared<tor::TorController>(io, clock);
  Status connected = co_await fresh->Connect(*address);
  if (!connected.ok()) co_return connected;
  const tor::AuthOptions automatic;
  Status authenticated = co_await fresh->Authenticate(automatic);
  if (!authenticated.ok()) {
    fresh->Close();
    co_return Status(authenticated.code(),
                     "Tor refused the web onion's control connection: " + authenticated.message());
  }
  if (stopped) {
    fresh->Close();
    co_return Unavailable("the daemon is stopping");
  }
  controller = std::move(fresh);
  co_return Status::Ok();
}

void WebOnion::Run::CloseController() {
  if (controller) controller->Close();
  controller.reset();
  published = false;
}

asio::awaitable<Status> WebOnion::Run::Apply(bool learn) {
  if (stopped) co_return Unavailable("the daemon is stopping");
  auto clients = store.ClientKeys();
  if (!clients.ok()) co_return clients.status();
  if (service_id.empty()) {
    auto kept = store.ServiceId();
    if (!kept.ok()) co_return kept.status();
    service_id = *kept;
  }
  const bool wanted = holder.has_value() && !clients->empty();
  // Learning the address adds the service for a moment with its port leading nowhere
  // (kNowhere): nothing is served by it, and it is deleted at once.
  learn = learn && !wanted && service_id.empty();
  if (!wanted && !learn) {
    // Closing the connection removes the service with it: no DEL_ONION to fail.
    if (published) logger.Info("web onion: service removed");
    CloseController();
    co_return Status::Ok();
  }
  Status connected = co_await Connect();
  if (!connected.ok()) co_return connected;
  if (published) {
    published = false;
    Status deleted = co_await controller->DelOnion(service_id);
    if (!deleted.ok()) {
      CloseController();  // Whatever Tor still holds goes with the connection.
      co_return deleted;
    }
  }
  auto key = store.Load();
  if (!key.ok()) {
    co_return Status(key.status().code(),
                     "the web onion's key in the store is damaged (" + key.status().message() +
                         "); remove the devices (inmost web devices remove NAME) and add them "
                         "again after restoring a backup");
  }
  tor::AddOnionRequest request;
  if (key->has_value()) request.key = &**key;
  request.ports.push_back({kWebOnionVirtualPort, wanted ? Target(holder->port) : kNowhere});
  request.client_auth_v3 = std::move(*clients);
  if (request.client_auth_v3.empty()) {
    // Learning the address before the first device: a throwaway client key nobody
    // holds, so that even this moment's descriptor is readable by no one.
    std::array<uint8_t, tor::kClientAuthKeyBytes> throwaway{};
    randombytes_buf(throwaway.data(), throwaway.size());
    request.client_auth_v3.push_back(tor::Base32(throwaway));
  }
  auto service = co_await controller->AddOnion(request);
  if (!service.ok()) co_return service.status();
  if (!key->has_value()) {
    Status saved = store.Save(service->private_key);
    if (!saved.ok()) {
      CloseController();  // A service under a key we could not keep: gone with it.
      co_return Status(saved.code(), "cannot keep the web onion's new key: " + saved.message());
    }
  }
  if (service->service_id != service_id) {
    Status saved = store.SaveServiceId(service->service_id);
    if (!saved.ok()) co_return saved;
    service_id = service->service_id;
  }
  if (!wanted) {
    // Added only to learn the address.
    Status deleted = co_await controller->DelOnion(service_id);
    CloseController();
    co_return deleted;
  }
  published = true;
  logger.Info("web onion: " + service_id + ".onion published for " +
              std::to_string(request.client_auth_v3.size()) + " device(s), to port " +
              std::to_string(holder->port));
  if (watched != controller) {
    // One watcher per connection: a connection takes one NextEvent waiter at a time.
    watched = controller;
    asio::co_spawn(io, Watch(shared_from_this(), controller), asio::detached);
  }
  co_return Status::Ok();
}

asio::awaitable<Status> WebOnion::Run::ApplyInTurn(bool learn) {
  co_await Acquire();
  Status applied = co_await Apply(learn);
  Yield();
  co_return applied;
}

asio::awaitable<void> WebOnion::Run::Watch(std::shared_ptr<Run> run,
                                           std::shared_ptr<tor::TorController> watched) {
  while (watched->open()) {
    auto event = co_await watched->NextEvent(kIdleWait);
    if (!event.ok()) break;
  }
  if (run->watched == watched) run->watched.reset();
  if (run->stopped || run->controller != watched || watched->open()) co_return;  // On purpose.
  const bool was_published = run->published;
  run->controller.reset();
  run->published = false;
  if (was_published) {
    run->logger.Warning("web onion: lost Tor's control connection (" +
                        watched->closed_status().message() +
                        "); the service is published again once Tor is back");
  }
}

WebOnion::WebOnion(asio::io_context& io, const core::Clock& clock, log::Logger& logger,
                   WebOnionStore& store, TorStateSource tor_state)
    : run_(std::make_shared<Run>(io, clock, logger, store, std::move(tor_state))) {}

WebOnion::~WebOnion() {
  Stop();
}

void WebOnion::Stop() {
  if (run_->stopped) return;
  run_->stopped = true;
  run_->holder.reset();
  run_->CloseController();
  // Those waiting for their turn find the daemon stopping.
  for (asio::steady_timer* turn : run_->waiting) turn->cancel();
  run_->waiting.clear();
}

asio::awaitable<Result<control::WebOnionReply>> WebOnion::Hold(uint64_t session,
                                                               control::WebOnionRequest request) {
  std::shared_ptr<Run> run = run_;
  if (request.port() == 0 || request.port() > 65535) {
    co_return InvalidArgument("web_onion needs the web process's port on 127.0.0.1 (1-65535)");
  }
  auto reachable = run->ControlAddress();
  if (!reachable.ok() && reachable.status().code() == Code::kFailedPrecondition) {
    co_return reachable.status();  // Tor off or absent: nothing will change that here.
  }
  co_await run->Acquire();
  if (run->holder && run->holder->session != session) {
    run->logger.Info("web onion: another `inmost web --onion` takes the service over");
  }
  run->holder = Run::Holder{session, static_cast<uint16_t>(request.port())};
  // Learns the address even with no device yet, so the web process knows its Host.
  Status applied = co_await run->Apply(/*learn=*/true);
  run->Yield();
  auto devices = run->store.Devices();
  if (!devices.ok()) co_return devices.status();
  // A Tor that went away after the address was learnt is no failure: OnTorState
  // publishes once it is back. Without the address the web process cannot serve it.
  if (!applied.ok() && (applied.code() != Code::kUnavailable || run->service_id.empty())) {
    run->holder.reset();
    co_return applied;
  }
  control::WebOnionReply reply;
  if (!run->service_id.empty()) reply.set_onion_address(run->service_id + ".onion");
  reply.set_devices(static_cast<uint32_t>(devices->size()));
  reply.set_published(run->published);
  co_return reply;
}

void WebOnion::SessionClosed(uint64_t session) {
  if (run_->stopped || !run_->holder || run_->holder->session != session) return;
  run_->holder.reset();
  asio::co_spawn(
      run_->io,
      [run = run_]() -> asio::awaitable<void> {
        Status applied = co_await run->ApplyInTurn(/*learn=*/false);
        if (!applied.ok()) run->logger.Warning("web onion: " + applied.message());
      },
      asio::detached);
}

void WebOnion::OnTorState(const tor::TorState& state) {
  if (run_->stopped || !run_->holder || run_->published || run_->busy) return;
  if (state.control.empty() || state.phase == Phase::kFailed) return;
  asio::co_spawn(
      run_->io,
      [run = run_]() -> asio::awaitable<void> {
        co_await run->Acquire();
        // Every change of Tor's state comes here: only the first finds work to do.
        Status applied = Status::Ok();
        if (!run->published && run->holder) applied = co_await run->Apply(/*learn=*/false);
        run->Yield();
        if (!applied.ok()) run->logger.Warning("web onion: " + applied.message());
      },
      asio::detached);
}

asio::awaitable<Result<control::WebDevicesReply>> WebOnion::Devices(
    control::WebDevicesRequest request) {
  std::shared_ptr<Run> run = run_;
  if (!request.add().empty() && !request.remove().empty()) {
    co_return InvalidArgument("web_devices takes `add` or `remove`, not both");
  }
  control::WebDevicesReply reply;
  std::optional<NewWebDevice> added;
  if (!request.add().empty()) {
    Status valid = CheckWebDeviceName(request.add());
    if (!valid.ok()) co_return valid;
    // A device key is no use without Tor, and the address it goes with needs Tor.
    auto reachable = run->ControlAddress();
    if (!reachable.ok()) co_return reachable.status();
    co_await run->Acquire();
    auto made = run->store.AddDevice(request.add(), run->clock.NowUnixMs());
    Status applied = made.status();
    if (made.ok()) applied = co_await run->Apply(/*learn=*/true);
    if (made.ok() && (!applied.ok() || run->service_id.empty())) {
      // Nobody saw the key: the device goes again, and Tor's side with it.
      (void)run->store.RemoveDevice(request.add());
      Status back = co_await run->Apply(/*learn=*/false);
      (void)back;
      if (applied.ok()) applied = Unavailable("Tor gave the web onion no address");
    }
    run->Yield();
    if (!applied.ok()) co_return applied;
    added = std::move(*made);
  } else if (!request.remove().empty()) {
    co_await run->Acquire();
    Status removed = run->store.RemoveDevice(request.remove());
    Status applied = removed;
    if (removed.ok()) applied = co_await run->Apply(/*learn=*/false);
    run->Yield();
    if (!removed.ok()) co_return removed;
    // The device is out of the store; if Tor's side failed, the service is not
    // published at all, which shuts it out too.
    if (!applied.ok()) run->logger.Warning("web onion: " + applied.message());
  }
  auto devices = run->store.Devices();
  if (!devices.ok()) co_return devices.status();
  auto kept_id = run->store.ServiceId();
  if (!kept_id.ok()) co_return kept_id.status();
  for (const records::WebOnionDevice& device : *devices) {
    control::WebDevice* view = reply.add_devices();
    view->set_name(device.name());
    view->set_public_key(tor::Base32(crypto::AsBytes(device.public_key())));
    view->set_added_unix_ms(device.added_unix_ms());
  }
  if (!kept_id->empty()) reply.set_onion_address(*kept_id + ".onion");
  reply.set_published(run->published);
  if (added) {
    auto line = tor::AuthPrivateLine(*kept_id, added->private_key);
    if (!line.ok()) co_return line.status();
    const crypto::SecretBytes bare = tor::SecretBase32(added->private_key.span());
    // The reply leaves in a protobuf string: the one copy outside secret memory, as
    // the API carries it to the client that asked.
    reply.set_auth_private(reinterpret_cast<const char*>(line->data()), line->size());
    reply.set_private_key(reinterpret_cast<const char*>(bare.data()), bare.size());
  }
  co_return reply;
}

void WebOnion::Register(core::Router& router) {
  router.AnsweredBy(control::Request::kWebOnion, "web onion (Daemon::HandleFrom)");
  router.OnRequest(
      control::Request::kWebDevices, "web onion", core::Sync::kNone,
      [this](const control::Request& request) -> asio::awaitable<Result<control::Response>> {
        auto reply = co_await Devices(request.web_devices());
        co_return core::ReplyAs(std::move(reply), &control::Response::mutable_web_devices);
      });
}

}  // namespace inmost
