// The composition root of inmostd: opens the store, loads the identity, and wires
// the conversation, the peer link and the control server onto one io_context. Every
// control request and peer message goes through the router to the part that owns
// its kind; this class holds no protocol or feature logic of its own, only wiring
// and lifecycle. Nothing here is global, so a test can run two.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "daemon/control/control_server.h"
#include "daemon/control/request_handler.h"
#include "daemon/core/background_work.h"
#include "daemon/core/backups.h"
#include "daemon/core/boundaries.h"
#include "daemon/core/clock.h"
#include "daemon/core/composer.h"
#include "daemon/core/conversation.h"
#include "daemon/core/disappearing.h"
#include "daemon/core/drafts.h"
#include "daemon/core/envelopes/envelopes.h"
#include "daemon/core/event_hub.h"
#include "daemon/core/files/file_transfers.h"
#include "daemon/core/group_commit.h"
#include "daemon/core/history_index.h"
#include "daemon/core/link_listener.h"
#include "daemon/core/message_edits.h"
#include "daemon/core/nudges.h"
#include "daemon/core/partner_book.h"
#include "daemon/core/router.h"
#include "daemon/core/search.h"
#include "daemon/core/shared_memories.h"
#include "daemon/core/typing.h"
#include "daemon/core/view_once.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/log/logger.h"
#include "daemon/partnership.h"
#include "daemon/peer/partner_link.h"
#include "daemon/reach/lan_discovery.h"
#include "daemon/reach/own_addresses.h"
#include "daemon/reach/port_mapping.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/sealed_store.h"
#include "daemon/store/storage_key.h"
#include "daemon/stored_onion_key.h"
#include "daemon/tor/onion_host.h"
#include "daemon/web_onion.h"
#include "daemon/web_onion_store.h"

namespace inmost {

// The default TCP port on which inmostd accepts its partner.
inline constexpr uint16_t kDefaultPeerPort = 7433;
inline constexpr char kDefaultListen[] = "[::]:7433";

struct DaemonOptions {
  std::filesystem::path data_dir;
  std::string listen = kDefaultListen;
  // Addresses to tell the partner and put in invites; default: the addresses of this
  // machine another one could reach, with the listen port (Daemon::InviteAddresses).
  std::vector<std::string> advertise;
  // "HH:MM-HH:MM" or "off" to set the quiet hours at start (the config file's);
  // empty: leave what `inmost config` set.
  std::string quiet_hours;
  // Files (core/files/file_transfers.h): the largest file sent or accepted, the most bytes of
  // received files kept, and a cap on the rate files are sent at (0: none).
  uint64_t max_file_bytes = uint64_t{4} << 30;
  uint64_t file_quota_bytes = uint64_t{20} << 30;
  uint64_t transfer_rate_bytes_per_second = 0;
  // The most the partner may make this daemon store (core/incoming_budget.h).
  core::IncomingLimits incoming;
  peer::LinkOptions link;
  // The Tor of the onion service (tor/onion_host.h); off unless asked. `tor.only` and
  // `link.tor_only` go together (command_line.cc sets both).
  tor::TorOptions tor;
  // Direct paths without setup (issue 19), both off unless asked, as Tor is.
  reach::PortMappingOptions port_mapping;
  reach::LanDiscoveryOptions lan;
  // How often to look for a change of this machine's own addresses.
  std::chrono::milliseconds address_check_interval{30000};
};

// Creates a new data directory at `data_dir`: mode 0700, a storage key (a 0600 key
// file, or wrapped under `passphrase` when given), the encrypted store and a fresh
// identity key pair. Fails if the directory already holds a store.
Status InitDataDir(const std::filesystem::path& data_dir, const crypto::SecretBytes* passphrase,
                   const store::KdfLimits& limits = store::KdfLimits::Interactive());

class Daemon final : public core::LinkListener, public control::RequestHandler {
 public:
  // Opens the daemon's state in `options.data_dir`; `passphrase` is needed only when
  // the storage key is wrapped. `io`, `clock` and `log` must outlive the daemon.
  static Result<std::unique_ptr<Daemon>> Open(boost::asio::io_context& io,
                                              const DaemonOptions& options,
                                              const crypto::SecretBytes* passphrase,
                                              const core::Clock& clock, log::Logger& log);
  ~Daemon() override;

  // Starts listening for the partner and for control clients and dials the partner.
  Status Start();
  // Finishes in-flight writes and closes every socket; the io_context then runs dry.
  void Stop();
  // Calls `done` on the io thread once what Stop left to finish in the background has
  // finished: the home router asked to drop the port mapping.
  void WhenStopped(std::function<void()> done) { port_mapping_.WhenReleased(std::move(done)); }
  // Where the partner should reach us from now on (empty: the default, see
  // AdvertisedAddresses); the partner is told at once when the link is up.
  void SetAdvertisedAddresses(std::vector<std::string> addresses);
  // Sets the daily quiet hours ("HH:MM-HH:MM" or "off"), synced before it returns.
  Status SetQuietHours(const std::string& window);

  // control::RequestHandler
  boost::asio::awaitable<control::Response> Handle(const control::Request& request) override;
  // web_onion lasts as long as the control connection that asked; the rest go to Handle.
  boost::asio::awaitable<control::Response> HandleFrom(uint64_t session,
                                                       const control::Request& request) override;
  void SessionClosed(uint64_t session) override { web_onion_.SessionClosed(session); }

  // core::LinkListener
  void OnLinkUp(const std::string& address) override;
  void OnLinkDown(const std::string& reason) override;
  void OnPeerMessage(const peer::PeerMessage& message) override;
  Status OnPaired(const core::Partner& partner) override;
  void OnPartnerAddresses(const std::vector<std::string>& addresses) override;
  void OnLinkWritable() override { files_.OnLinkWritable(); }

 private:
  Daemon(boost::asio::io_context& io, DaemonOptions options, std::unique_ptr<store::SealedStore> db,
         crypto::KeyPair identity, const core::Clock& clock, log::Logger& log);

  // Registers the Status request, the kinds the link answers below the core, and
  // every part's kinds; fails when a kind has no owner or two.
  Status RegisterRoutes();
  Result<control::StatusReply> StatusNow() const;
  // Where we say we listen when we join (told to the inviter): DirectAddresses (none
  // under tor-only), then the onion address once Tor has made it.
  std::vector<std::string> AdvertisedAddresses() const;
  // The advertise option, else ReachableAddresses, else the listen address (a
  // loopback one suits only one machine).
  std::vector<std::string> DirectAddresses() const;
  // The router's external address while it forwards the listen port, then the
  // addresses of this machine another one could reach (peer/local_addresses.h).
  std::vector<std::string> ReachableAddresses() const;
  // What an invite carries when the request names no address: the advertise option,
  // else the reachable addresses (neither under tor-only), then the onion address;
  // never a loopback or link-local one unasked, so FailedPrecondition, saying what to
  // do, when there is no other.
  Result<std::vector<std::string>> InviteAddresses() const;
  // InviteAddresses once Tor has published the onion service, when Tor is on its way
  // to it (waits at most kInviteWaitsForOnion), with a note when the invite then holds
  // no published onion address.
  boost::asio::awaitable<Result<InviteAddressing>> InviteAddressesOnceOnionIsOut();
  // Whether our Tor is starting, bootstrapping or publishing: worth waiting for.
  bool OnionOnItsWay() const;
  void Publish(control::Event event);
  // Publishes the onion service for the listener (unless tor = off).
  void StartOnionService();
  // Tor's state changed: the link learns the SOCKS port and the onion address.
  void OnTorState(const tor::TorState& state);

  boost::asio::io_context& io_;
  DaemonOptions options_;
  store::DataDir data_dir_;
  std::unique_ptr<store::SealedStore> db_;
  // Before commit_, so it outlives the writer thread that runs its steps.
  std::unique_ptr<core::HistoryIndex> index_;
  crypto::KeyPair identity_;
  const core::Clock& clock_;
  log::Logger& log_;
  core::EventHub events_;
  core::GroupCommit commit_;
  core::PartnerBook partners_;
  peer::PartnerLink link_;
  core::Conversation conversation_;
  core::Boundaries boundaries_;
  core::BackgroundWork background_;
  core::FileTransfers files_;
  core::Envelopes envelopes_;
  core::Nudges nudges_;
  core::SharedMemories memories_;
  core::ViewOnceMessages view_once_;
  core::MessageEdits edits_;
  core::Disappearing disappearing_;
  core::Composer composer_;
  core::Search search_;
  core::Backups backups_;
  core::Typing typing_;
  core::Drafts drafts_;
  Partnership partnership_;
  core::Router router_;
  control::ControlServer control_;
  StoredOnionKey onion_key_;
  tor::OnionHost onion_;
  WebOnionStore web_onion_store_;
  WebOnion web_onion_;  // `inmost web --onion`, on onion_'s Tor.
  reach::PortMapping port_mapping_;
  reach::LanDiscovery lan_;
  reach::OwnAddresses own_addresses_;
  std::string onion_address_;  // Kept once known: it never changes, even while Tor restarts.
  std::vector<core::Timer*> onion_waiters_;  // Invites waiting for Tor; woken at each change.
  bool stopped_ = false;
};

}  // namespace inmost
