#include "daemon/daemon.h"

#include <boost/asio/post.hpp>
#include <chrono>

#include "daemon/core/api_numbers.h"
#include "daemon/core/timer.h"
#include "daemon/identity/fingerprint.h"
#include "daemon/identity/safety_number.h"
#include "daemon/peer/address.h"
#include "daemon/peer/local_addresses.h"
#include "daemon/store/storage_key.h"
#include "inmost/version.h"

namespace inmost {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kIdentityKey = "identity/static_private";

// The port of a listen address ("[::]:7433"), which is always well formed.
uint16_t ListenPort(const std::string& listen) {
  auto parsed = peer::ParseHostPort(listen);
  return parsed.ok() ? parsed->port : 0;
}

// Requests that put something on the stream to the partner: refused once the
// pairing ended (Partnership::CanReachPartner), rather than queued for nobody.
bool ReachesPartner(control::Request::BodyCase kind) {
  using R = control::Request;
  switch (kind) {
    case R::kSend:
    case R::kAsk:
    case R::kAnswer:
    case R::kOpen:
    case R::kNudge:
    case R::kReact:
    case R::kPin:
    case R::kEdit:
    case R::kView:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status InitDataDir(const std::filesystem::path& data_dir, const crypto::SecretBytes* passphrase,
                   const store::KdfLimits& limits) {
  store::DataDir dir(data_dir);
  if (dir.IsInitialized()) {
    return AlreadyExists("an inmost data directory already exists at " + data_dir.string());
  }
  INMOST_RETURN_IF_ERROR(dir.CreatePrivate());
  INMOST_RETURN_IF_ERROR(dir.CheckPrivate());
  auto key = passphrase != nullptr
                 ? store::CreateWrapped(dir.wrapped_key_path(), *passphrase, limits)
                 : store::CreateKeyFile(dir.key_file_path());
  if (!key.ok()) return key.status();
  auto db = store::SealedStore::Open(dir.store_path(), std::move(*key), store::OpenMode::kCreate);
  if (!db.ok()) return db.status();
  crypto::KeyPair identity = crypto::KeyPair::Generate();
  return (*db)->PutSecret(kIdentityKey, identity.private_key);
}

Result<std::unique_ptr<Daemon>> Daemon::Open(asio::io_context& io, const DaemonOptions& options,
                                             const crypto::SecretBytes* passphrase,
                                             const core::Clock& clock, log::Logger& log) {
  store::DataDir dir(options.data_dir);
  if (!dir.IsInitialized()) {
    return FailedPrecondition("no inmost data directory at " + options.data_dir.string() +
                              "; create one with: inmostd init --data-dir " +
                              options.data_dir.string());
  }
  INMOST_RETURN_IF_ERROR(dir.CheckPrivate());
  Result<crypto::SecretBytes> key = crypto::SecretBytes();
  if (std::filesystem::exists(dir.wrapped_key_path())) {
    if (passphrase == nullptr) {
      return FailedPrecondition(
          "the storage key is protected by a passphrase; run with "
          "--passphrase-stdin and give it on standard input");
    }
    key = store::LoadWrapped(dir.wrapped_key_path(), *passphrase);
  } else {
    key = store::LoadKeyFile(dir.key_file_path());
  }
  if (!key.ok()) return key.status();
  auto db = store::SealedStore::Open(dir.store_path(), std::move(*key), store::OpenMode::kExisting);
  if (!db.ok()) return db.status();
  auto secret = (*db)->GetSecret(kIdentityKey);
  if (!secret.ok()) return secret.status();
  auto identity = crypto::KeyPair::FromPrivate(secret->span());
  if (!identity.ok()) return Corruption("the identity key in the store is damaged");

  std::unique_ptr<Daemon> daemon(
      new Daemon(io, options, std::move(*db), std::move(*identity), clock, log));
  INMOST_RETURN_IF_ERROR(daemon->partners_.Load());
  INMOST_RETURN_IF_ERROR(daemon->conversation_.Load());
  Daemon& opened = *daemon;
  auto index = core::HistoryIndex::Open(
      io, *opened.db_, opened.commit_,
      [&opened] { return opened.conversation_.last_history_id() + 1; }, log);
  if (!index.ok()) return index.status();
  opened.index_ = std::move(*index);
  opened.conversation_.SetHistoryIndex(opened.index_.get());
  opened.search_.SetIndex(opened.index_.get());
  daemon->conversation_.SetIncomingLimits(options.incoming);
  INMOST_RETURN_IF_ERROR(daemon->files_.Load());
  INMOST_RETURN_IF_ERROR(daemon->envelopes_.Load());
  INMOST_RETURN_IF_ERROR(daemon->boundaries_.Load());
  INMOST_RETURN_IF_ERROR(daemon->nudges_.Load());
  INMOST_RETURN_IF_ERROR(daemon->memories_.Load());
  INMOST_RETURN_IF_ERROR(daemon->drafts_.Load());
  INMOST_RETURN_IF_ERROR(daemon->RegisterRoutes());
  daemon->partnership_.FollowPartner(daemon->partners_.partner());
  daemon->partnership_.OnAllAcknowledged();  // An ending the partner knew of before a crash.
  auto invite = daemon->partners_.LoadInvite();
  if (!invite.ok()) return invite.status();
  if (invite->has_value()) {
    daemon->link_.SetInvite(
        peer::PendingInvite{std::move((*invite)->secret), (*invite)->expires_at_unix});
  }
  return daemon;
}

Daemon::Daemon(asio::io_context& io, DaemonOptions options, std::unique_ptr<store::SealedStore> db,
               crypto::KeyPair identity, const core::Clock& clock, log::Logger& log)
    : io_(io),
      options_(std::move(options)),
      data_dir_(options_.data_dir),
      db_(std::move(db)),
      identity_(std::move(identity)),
      clock_(clock),
      log_(log),
      commit_(io, *db_),
      partners_(*db_),
      link_(io, identity_, *this, clock, log, options_.link),
      conversation_(*db_, commit_, events_, link_, clock, log),
      boundaries_(io, *db_, commit_, conversation_, events_, link_, clock, log),
      background_(io),
      files_(io, *db_, commit_, conversation_, link_, boundaries_, background_, clock, log,
             data_dir_.files_path(), data_dir_.uploads_path(),
             core::FileLimits{options_.max_file_bytes, options_.file_quota_bytes,
                              options_.transfer_rate_bytes_per_second}),
      envelopes_(io, *db_, commit_, conversation_, events_, link_, files_, clock, log),
      nudges_(*db_, commit_, conversation_, boundaries_, link_, clock, log),
      memories_(io, *db_, commit_, conversation_, boundaries_, clock, log),
      view_once_(*db_, commit_, conversation_, files_, clock, log),
      edits_(conversation_, clock, log),
      disappearing_(io, *db_, commit_, conversation_, boundaries_, clock, log),
      composer_(commit_, conversation_, files_, envelopes_, view_once_),
      search_(*db_, background_, [this] { return envelopes_.partner_present(); }),
      backups_(*db_, commit_, background_, data_dir_.files_path(), log),
      typing_(events_, link_, boundaries_, clock),
      drafts_(*db_, commit_, conversation_, events_, clock, log),
      partnership_(
          io, partners_, link_,
          PartnerState{conversation_, boundaries_, files_, envelopes_, nudges_, memories_, drafts_,
                       commit_},
          identity_, events_, clock, log, [this] { return AdvertisedAddresses(); },
          [this] { return InviteAddressesOnceOnionIsOut(); }),
      router_([this] { return conversation_.Ready(); }, [this] { return commit_.Sync(); }),
      control_(io, data_dir_.control_socket_path(), *this, events_, clock, log),
      onion_key_(*db_),
      onion_(io, clock, log, options_.tor, data_dir_.tor_path(), onion_key_,
             [this](const tor::TorState& state) { OnTorState(state); }),
      web_onion_store_(*db_),
      web_onion_(io, clock, log, web_onion_store_,
                 [this]() -> const tor::TorState& { return onion_.state(); }),
      port_mapping_(io, clock, log, background_, options_.port_mapping,
                    [this] { own_addresses_.Check(); }),
      lan_(
          io, clock, log, identity_, options_.lan,
          [this]() -> std::optional<crypto::PublicKey> {
            if (const auto& partner = partners_.partner()) return partner->static_key;
            return std::nullopt;
          },
          [this] { return link_.IsUp(); },
          [this](const std::string& address) { return link_.PartnerSeenAt(address); }),
      own_addresses_(
          io, clock, log, options_.address_check_interval, [this] { return DirectAddresses(); },
          [this](const std::vector<std::string>& addresses) {
            link_.SetAdvertisedAddresses(addresses);
          }) {
  conversation_.SetDaemonVersion(std::string(BuildVersion()));
}

Status Daemon::RegisterRoutes() {
  router_.OnRequest(
      control::Request::kStatus, "daemon", core::Sync::kNone,
      [this](const control::Request&) { return StatusNow(); }, &control::Response::mutable_status,
      core::Gate::kAlways);
  router_.AnsweredBy(control::Request::kSubscribe, "the control server");
  for (auto kind : {peer::PeerMessage::kKeepalive, peer::PeerMessage::kAddresses,
                    peer::PeerMessage::kPairConfirm, peer::PeerMessage::kPairWelcome}) {
    router_.HandledByLink(kind);
  }
  conversation_.Register(router_, [this] { return envelopes_.partner_present(); });
  boundaries_.Register(router_, [this](bool present) { envelopes_.OnPartnerPresence(present); });
  files_.Register(router_);
  envelopes_.Register(router_);
  nudges_.Register(router_);
  memories_.Register(router_, [this] { return partners_.partner() && link_.IsUp(); });
  view_once_.Register(router_);
  edits_.Register(router_);
  disappearing_.Register(router_);
  composer_.Register(router_);
  search_.Register(router_);
  backups_.Register(router_);
  typing_.Register(router_);
  drafts_.Register(router_);
  partnership_.Register(router_);
  web_onion_.Register(router_);
  return router_.Check();
}

Daemon::~Daemon() {
  Stop();
}

Status Daemon::Start() {
  INMOST_RETURN_IF_ERROR(link_.Listen(options_.listen));
  // What the partner is told (on pairing, on every link up, and at once when it
  // changes) must be dialable.
  own_addresses_.Start();
  INMOST_RETURN_IF_ERROR(control_.Start());
  const uint16_t port = ListenPort(link_.listen_address());
  port_mapping_.Start(
      port, [listen = link_.listen_address()] { return peer::GlobalIPv6AddressesOf(listen); });
  lan_.Start(port);
  StartOnionService();
  link_.SetPartner(partners_.partner());
  // The hub may report presence from inside Publish: act on it afterwards.
  events_.SetPresenceObserver([this](bool) {
    asio::post(io_, [this] {
      envelopes_.SetPresent(events_.present());
      boundaries_.OnPresent(events_.present());
    });
  });
  conversation_.SetAllAcknowledgedHook([this] {
    if (partners_.ending_since() != 0)
      asio::post(io_, [this] { partnership_.OnAllAcknowledged(); });
  });
  events_.SetRewrite(
      [this](control::Event& event) { core::HistoryIdsToNumbers(conversation_, event); });
  envelopes_.Start();
  if (!options_.quiet_hours.empty()) INMOST_RETURN_IF_ERROR(SetQuietHours(options_.quiet_hours));
  boundaries_.SetMaxFileBytes(options_.max_file_bytes);
  boundaries_.SetOwnChangeObserver([this] { typing_.OnSharingChanged(); });
  boundaries_.Start();
  files_.Start();
  disappearing_.Start();
  if (!options_.link.proxy.empty()) {
    log_.Info("dialing out through the SOCKS5 proxy at " + options_.link.proxy);
  }
  log_.Info("inmostd ready: peer port " + link_.listen_address() + ", control socket " +
            data_dir_.control_socket_path().string());
  return Status::Ok();
}

void Daemon::Stop() {
  if (stopped_) return;
  stopped_ = true;
  envelopes_.Stop();
  files_.Stop();
  disappearing_.Stop();
  boundaries_.Stop();
  boundaries_.SetOwnChangeObserver(nullptr);
  events_.SetPresenceObserver(nullptr);
  events_.SetRewrite(nullptr);
  conversation_.SetAllAcknowledgedHook(nullptr);
  background_.JoinAll();
  if (index_) index_->Stop();
  commit_.FlushNow();
  web_onion_.Stop();  // Before the control sessions close: nothing to re-publish.
  control_.Stop();
  onion_.Stop();
  own_addresses_.Stop();
  lan_.Stop();
  port_mapping_.Stop();  // Its release runs in the background, the io_context with it.
  for (core::Timer* waiter : onion_waiters_) waiter->Cancel();  // They see stopped_.
  link_.Stop();
}

void Daemon::StartOnionService() {
  if (options_.tor.mode == tor::TorMode::kOff) return;  // No listener nobody uses.
  // The onion leads to a listener of its own, so the link knows which sessions came
  // through Tor (and prefers a direct one). Its port is always the default one, so
  // the address stays the same whatever the listen port.
  auto target = link_.ListenForTor();
  if (!target.ok()) {
    log_.Warning("tor: no onion service: " + target.status().message());
    return;
  }
  onion_.Start(kDefaultPeerPort, *target);
}

void Daemon::OnTorState(const tor::TorState& state) {
  link_.SetTorSocks(state.socks);
  if (!state.onion_address.empty() && state.onion_address != onion_address_) {
    onion_address_ = state.onion_address;
    link_.SetOnionAddress(onion_address_);
  }
  for (core::Timer* waiter : onion_waiters_) waiter->Cancel();  // Each looks again.
  web_onion_.OnTorState(state);
}

Status Daemon::SetQuietHours(const std::string& window) {
  control::ConfigRequest request;
  request.set_key("quiet-hours");
  request.set_value(window);
  auto set = boundaries_.Config(request);
  if (!set.ok()) return set.status();
  commit_.FlushNow();
  return conversation_.Ready();
}

void Daemon::Publish(control::Event event) {
  event.set_at_unix_ms(clock_.NowUnixMs());
  events_.Publish(event);
}

asio::awaitable<control::Response> Daemon::Handle(const control::Request& request) {
  // The API names messages by the numbers both partners see; the core by history ids.
  control::Request numbered = request;
  Status known = core::NumbersToHistoryIds(conversation_, numbered);
  if (!known.ok()) co_return control::ErrorResponse(known);
  if (ReachesPartner(request.body_case())) {
    Status reachable = partnership_.CanReachPartner();
    if (!reachable.ok()) co_return control::ErrorResponse(reachable);
  }
  auto result = co_await router_.Handle(numbered);
  if (!result.ok()) co_return control::ErrorResponse(result.status());
  core::HistoryIdsToNumbers(conversation_, *result);
  co_return std::move(*result);
}

asio::awaitable<control::Response> Daemon::HandleFrom(uint64_t session,
                                                      const control::Request& request) {
  if (!request.has_web_onion()) co_return co_await Handle(request);
  auto reply = co_await web_onion_.Hold(session, request.web_onion());
  if (!reply.ok()) co_return control::ErrorResponse(reply.status());
  control::Response response;
  *response.mutable_web_onion() = std::move(*reply);
  co_return response;
}

Result<control::StatusReply> Daemon::StatusNow() const {
  control::StatusReply reply;
  reply.set_fingerprint(identity::Fingerprint(identity_.public_key));
  reply.set_name(boundaries_.name());
  if (auto ended = partnership_.EndedView()) *reply.mutable_pairing_ended() = std::move(*ended);
  reply.set_listen_address(link_.listen_address());
  reply.set_unacknowledged(conversation_.unacknowledged());
  reply.set_present(envelopes_.present());
  reply.set_presence(boundaries_.choice());
  reply.set_quiet(boundaries_.QuietNow());
  reply.set_quiet_until_unix_ms(boundaries_.QuietUntil());
  if (const auto& partner = partners_.partner()) {
    reply.set_paired(true);
    reply.set_partner_fingerprint(identity::Fingerprint(partner->static_key));
    reply.set_safety_number(identity::SafetyNumber(identity_.public_key, partner->static_key));
    for (const auto& a : partner->addresses) reply.add_partner_addresses(a);
    reply.set_link_up(link_.IsUp());
    reply.set_partner_present(envelopes_.partner_present());
    *reply.mutable_partner() = boundaries_.PartnerView();
  }
  reply.set_partner_asked_to_forget_all_unix_ms(memories_.partner_asked_to_forget_all());
  reply.set_partner_refuses(conversation_.partner_refuses());
  reply.set_refusing_partner(conversation_.refusing_partner());
  const tor::TorState& tor = onion_.state();
  control::TorStatus* tor_status = reply.mutable_tor();
  tor_status->set_state(std::string(tor::PhaseName(tor.phase)));
  tor_status->set_source(tor.source);
  tor_status->set_progress(tor.progress);
  tor_status->set_detail(tor.detail);
  tor_status->set_onion_address(tor.onion_address);
  tor_status->set_published(tor.published);
  tor_status->set_tor_only(options_.tor.only);
  *reply.mutable_port_mapping() = port_mapping_.Status();
  *reply.mutable_lan() = lan_.Status();
  if (!options_.tor.only) {
    for (const auto& address : own_addresses_.current()) reply.add_own_addresses(address);
  }
  reply.set_version(std::string(BuildVersion()));
  if (const auto& partner_daemon = conversation_.partner_daemon()) {
    *reply.mutable_partner_daemon() = *partner_daemon;
  }
  reply.set_link_last_up_unix_ms(link_.last_up_unix_ms());
  for (const peer::DialFailureReport& failure : link_.dial_failures()) {
    control::DialFailure* out = reply.add_dial_failures();
    out->set_address(failure.address);
    out->set_error(failure.error);
    out->set_at_unix_ms(failure.at_unix_ms);
    out->set_failing_since_unix_ms(failure.failing_since_unix_ms);
  }
  return reply;
}

void Daemon::OnLinkUp(const std::string& address) {
  control::Event event;
  event.mutable_link_up()->set_address(address);
  Publish(std::move(event));
  boundaries_.OnLinkUp();
  conversation_.OnLinkUp();
  files_.OnLinkUp();
  envelopes_.OnLinkUp();
  nudges_.OnLinkUp();
}

void Daemon::OnLinkDown(const std::string& reason) {
  control::Event event;
  event.mutable_link_down()->set_reason(reason);
  Publish(std::move(event));
  envelopes_.OnLinkDown();
  boundaries_.OnLinkDown();
  typing_.OnLinkDown();
  files_.OnLinkDown();
  partnership_.OnLinkDown();
  lan_.Wake();  // Beacons again, at once.
}

void Daemon::OnPeerMessage(const peer::PeerMessage& message) {
  router_.Deliver(message);
}

Status Daemon::OnPaired(const core::Partner& partner) {
  Status paired = partnership_.OnPaired(partner);
  lan_.Wake();  // Derives the new pair's beacon secret.
  return paired;
}

void Daemon::OnPartnerAddresses(const std::vector<std::string>& addresses) {
  Status status = partners_.SetAddresses(addresses);
  if (!status.ok()) log_.Warning("could not save the partner's addresses: " + status.ToString());
}

}  // namespace inmost
