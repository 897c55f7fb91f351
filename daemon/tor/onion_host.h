// The daemon's onion service: gets a Tor as the `tor` option says (a running one's
// control port, or a tor of its own as a child, or whichever answers), publishes the
// service under the key kept in the store, so its .onion address never changes, and
// follows Tor's bootstrap and the service's publication, starting over when Tor goes.
// It must never detach the service, log the key, or stop the daemon: a Tor that fails
// is a state to show, and the daemon goes on with its direct addresses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/codec/tor/tor_options.h"
#include "daemon/core/clock.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/log/logger.h"
#include "daemon/peer/asio.h"
#include "inmost/status.h"

namespace inmost::tor {

// Where Tor stands, as `inmost status` shows it.
struct TorState {
  enum class Phase {
    kOff,            // tor = off.
    kUnavailable,    // tor = auto found neither a Tor nor a tor binary.
    kStarting,       // Reaching or launching Tor.
    kBootstrapping,  // Connected; Tor is joining the network (progress).
    kReady,          // Bootstrapped, the service added (published tells the rest).
    kFailed,         // Something went wrong (detail); retried unless it cannot help.
  };
  Phase phase = Phase::kOff;
  std::string source;         // "system" or "launched", once there is a Tor.
  int progress = 0;           // Bootstrap percent.
  std::string detail;         // Why, for kUnavailable and kFailed; Tor's summary otherwise.
  std::string onion_address;  // "<id>.onion:PORT" once the service is added.
  bool published = false;     // A descriptor of it reached a directory (HS_DESC UPLOADED).
  std::string socks;          // Tor's SOCKS "127.0.0.1:PORT", once known.
  // Tor's control port, once reached and answering: the web onion (web_onion.h) opens
  // a connection of its own there.
  std::string control;
};
std::string_view PhaseName(TorState::Phase phase);

// Where the service's key is kept (the sealed store, synced).
class OnionKeyVault {
 public:
  virtual ~OnionKeyVault() = default;
  // The key (kOnionKeyBytes), nullopt when none was made yet, Corruption when damaged.
  virtual Result<std::optional<crypto::SecretBytes>> Load() = 0;
  // Keeps `key`, durably, before the service is published under it.
  virtual Status Save(const crypto::SecretBytes& key) = 0;
};

class OnionHost {
 public:
  using Observer = std::function<void(const TorState&)>;

  // `clock`, `logger` and `vault` must outlive the host; `tor_dir` is a launched tor's
  // home. `observer` hears every change of state, on the io thread.
  OnionHost(boost::asio::io_context& io, const core::Clock& clock, log::Logger& logger,
            TorOptions options, std::filesystem::path tor_dir, OnionKeyVault& vault,
            Observer observer);
  ~OnionHost();
  OnionHost(const OnionHost&) = delete;
  OnionHost& operator=(const OnionHost&) = delete;

  // Starts (unless tor = off): the service's port `virtual_port` leads to `target`
  // ("127.0.0.1:7433", the daemon's listener).
  void Start(uint16_t virtual_port, std::string target);
  // Closes the control connection (Tor removes the service) and stops a launched tor.
  void Stop();
  const TorState& state() const;

 private:
  struct Run;
  std::shared_ptr<Run> run_;  // Shared with the coroutine, which may outlive this.
};

}  // namespace inmost::tor
