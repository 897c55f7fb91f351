// `inmost web --onion`: the web client on a second onion service of the daemon's own
// Tor, on its own control connection, with v3 client authorization so only the
// devices in the store can fetch its descriptor. It must never add the service without
// client authorization (Tor would then serve it to anyone who has the address), detach
// it, or keep it past the control session that asked for it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/core/clock.h"
#include "daemon/core/router.h"
#include "daemon/log/logger.h"
#include "daemon/peer/asio.h"
#include "daemon/tor/onion_host.h"
#include "daemon/web_onion_store.h"
#include "inmost/status.h"
#include "proto/control.pb.h"

namespace inmost {

// The port the web onion serves on: a browser's default for http://.
inline constexpr uint16_t kWebOnionVirtualPort = 80;

class WebOnion {
 public:
  using TorStateSource = std::function<const tor::TorState&()>;
  using NowUnixMs = std::function<int64_t()>;

  // `store`, `clock` and `logger` must outlive this; `tor_state` is the daemon's own
  // onion service's state, whose control address this connects to as well.
  WebOnion(boost::asio::io_context& io, const core::Clock& clock, log::Logger& logger,
           WebOnionStore& store, TorStateSource tor_state);
  ~WebOnion();
  WebOnion(const WebOnion&) = delete;
  WebOnion& operator=(const WebOnion&) = delete;

  // web_devices through the router; web_onion is answered by HandleFrom, which knows
  // the control session.
  void Register(core::Router& router);
  // WebOnionRequest from control session `session`: publishes the web process's port
  // for as long as that session stays open (replacing any other session's).
  boost::asio::awaitable<Result<control::WebOnionReply>> Hold(uint64_t session,
                                                              control::WebOnionRequest request);
  // Control session `session` closed: the service goes if it was that session's.
  void SessionClosed(uint64_t session);
  // Tor's state changed: a service lost with Tor's connection is published again.
  void OnTorState(const tor::TorState& state);
  // Closes the control connection (Tor removes the service) and refuses the rest.
  void Stop();

  // What the reply of web_devices holds; add and remove go through it.
  boost::asio::awaitable<Result<control::WebDevicesReply>> Devices(
      control::WebDevicesRequest request);

 private:
  struct Run;
  std::shared_ptr<Run> run_;  // Shared with coroutines, which may outlive this.
};

}  // namespace inmost
