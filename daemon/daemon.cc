#include "daemon/daemon.h"

#include <sodium.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "daemon/core/history_search.h"
#include "daemon/core/message_view.h"
#include "daemon/crypto/bytes.h"
#include "daemon/identity/fingerprint.h"
#include "daemon/identity/invite_code.h"
#include "daemon/identity/safety_number.h"
#include "daemon/peer/address.h"
#include "daemon/store/backup_archive.h"
#include "daemon/store/storage_key.h"

namespace inmost {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kIdentityKey = "identity/static_private";
constexpr int64_t kDefaultInviteSeconds = int64_t{24} * 3600;
constexpr int64_t kMaxInviteSeconds = int64_t{30} * 24 * 3600;
constexpr uint32_t kDefaultSearchLimit = 50;
constexpr uint32_t kMaxSearchLimit = 1000;
// A search opens the history in this many ranges at once, at most.
constexpr unsigned kMaxSearchThreads = 4;
// How long forgetting everything waits for the partner's daemon to store the request.
constexpr auto kForgetRequestWait = std::chrono::seconds(5);

// `reply` as the body `field` of a Response, or its error.
template <typename Reply>
Result<control::Response> WithReply(Result<Reply> reply, Reply* (control::Response::*field)()) {
  if (!reply.ok()) return reply.status();
  control::Response response;
  *(response.*field)() = std::move(*reply);
  return response;
}

bool IsPlainText(const control::SendRequest& send) {
  return send.open_at_unix_ms() == 0 && !send.gentle() && !send.together() &&
         send.send_at_unix_ms() == 0 && send.note().empty();
}

// "[::]:7433" and "0.0.0.0:7433" accept from anywhere but cannot be dialled.
std::string DialableAddress(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return listen;
  std::string host = listen.substr(0, colon);
  if (host == "[::]" || host == "0.0.0.0" || host.empty())
    return "127.0.0.1" + listen.substr(colon);
  return listen;
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
  daemon->conversation_.SetIncomingLimits(options.incoming);
  INMOST_RETURN_IF_ERROR(daemon->files_.Load());
  INMOST_RETURN_IF_ERROR(daemon->envelopes_.Load());
  INMOST_RETURN_IF_ERROR(daemon->boundaries_.Load());
  INMOST_RETURN_IF_ERROR(daemon->nudges_.Load());
  INMOST_RETURN_IF_ERROR(daemon->memories_.Load());
  daemon->SetPartnerForQuestions(daemon->partners_.partner());
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
             data_dir_.files_path(),
             core::FileLimits{options_.max_file_bytes, options_.file_quota_bytes,
                              options_.transfer_rate_bytes_per_second}),
      envelopes_(io, *db_, commit_, conversation_, events_, link_, files_, clock, log),
      nudges_(*db_, commit_, conversation_, boundaries_, link_, clock, log),
      memories_(io, *db_, commit_, conversation_, boundaries_, clock, log),
      control_(io, data_dir_.control_socket_path(), *this, events_, log) {}

Daemon::~Daemon() {
  Stop();
}

Status Daemon::Start() {
  INMOST_RETURN_IF_ERROR(link_.Listen(options_.listen));
  // What the partner is told (on pairing and on every link up) must be dialable.
  link_.SetAdvertisedAddresses(options_.advertise);
  INMOST_RETURN_IF_ERROR(control_.Start());
  link_.SetPartner(partners_.partner());
  // The hub may report presence from inside Publish: act on it afterwards.
  events_.SetPresenceObserver([this](bool) {
    asio::post(io_, [this] {
      envelopes_.SetPresent(events_.present());
      boundaries_.OnPresent(events_.present());
    });
  });
  envelopes_.Start();
  if (!options_.quiet_hours.empty()) INMOST_RETURN_IF_ERROR(SetQuietHours(options_.quiet_hours));
  boundaries_.SetMaxFileBytes(options_.max_file_bytes);
  boundaries_.Start();
  files_.Start();
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
  boundaries_.Stop();
  events_.SetPresenceObserver(nullptr);
  background_.JoinAll();
  commit_.FlushNow();
  control_.Stop();
  link_.Stop();
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

void Daemon::SetAdvertisedAddresses(std::vector<std::string> addresses) {
  options_.advertise = std::move(addresses);
  link_.SetAdvertisedAddresses(options_.advertise);
}

std::vector<std::string> Daemon::AdvertisedAddresses() const {
  if (!options_.advertise.empty()) return options_.advertise;
  return {DialableAddress(link_.listen_address())};
}

void Daemon::Publish(control::Event event) {
  event.set_at_unix_ms(clock_.NowUnixMs());
  events_.Publish(event);
}

asio::awaitable<control::Response> Daemon::Handle(const control::Request& request) {
  auto result = co_await Dispatch(request);
  if (result.ok()) co_return std::move(*result);
  co_return control::ErrorResponse(result.status());
}

asio::awaitable<Result<control::Response>> Daemon::Dispatch(const control::Request& request) {
  Result<control::Response> response =
      Unsupported("this daemon does not know that request; is the CLI newer?");
  bool needs_sync = false;  // The request wrote to the batch being filled.
  if (!request.has_status()) {
    // After a failed write, nothing is answered from (or built on) stale state.
    Status ready = conversation_.Ready();
    if (!ready.ok()) co_return ready;
  }
  switch (request.body_case()) {
    case control::Request::kStatus:
      response = WithReply(StatusNow(), &control::Response::mutable_status);
      break;
    case control::Request::kInvite:
      response = WithReply(MakeInvite(request.invite()), &control::Response::mutable_invite);
      break;
    case control::Request::kJoin: {
      auto reply = co_await Join(request.join());
      response = WithReply(std::move(reply), &control::Response::mutable_join);
      break;
    }
    case control::Request::kUnpair: {
      auto reply = co_await Unpair(request.unpair());
      response = WithReply(std::move(reply), &control::Response::mutable_unpair);
      break;
    }
    case control::Request::kSend:
      if (IsPlainText(request.send()) && !request.send().file_path().empty()) {
        if (request.send().urgent()) {
          response = InvalidArgument("only a plain text can be urgent");
          break;
        }
        auto file = files_.Prepare(request.send().file_path());
        response = file.ok() ? WithReply(files_.Send(std::move(*file), request.send().text()),
                                         &control::Response::mutable_send)
                             : Result<control::Response>(file.status());
        needs_sync = true;
      } else if (IsPlainText(request.send())) {
        auto reply = co_await conversation_.Send(request.send().text(), request.send().urgent());
        response = WithReply(std::move(reply), &control::Response::mutable_send);
      } else if (request.send().urgent()) {
        response = InvalidArgument("only a plain text can be urgent");
      } else {
        response = WithReply(envelopes_.Send(request.send()), &control::Response::mutable_send);
        needs_sync = true;
      }
      break;
    case control::Request::kTransfers:
      response = WithReply(Result<control::TransfersReply>(files_.Transfers()),
                           &control::Response::mutable_transfers);
      break;
    case control::Request::kSave: {
      auto reply = co_await files_.Save(request.save());
      response = WithReply(std::move(reply), &control::Response::mutable_save);
      break;
    }
    case control::Request::kHistory:
      response =
          WithReply(conversation_.History(request.history().limit(), request.history().before_id(),
                                          envelopes_.partner_present()),
                    &control::Response::mutable_history);
      break;
    case control::Request::kMarkRead: {
      auto reply = co_await conversation_.MarkRead(request.mark_read().up_to_id());
      response = WithReply(std::move(reply), &control::Response::mutable_mark_read);
      break;
    }
    case control::Request::kAsk:
      response = WithReply(envelopes_.Ask(request.ask()), &control::Response::mutable_ask);
      needs_sync = true;
      break;
    case control::Request::kAnswer:
      response = WithReply(envelopes_.Answer(request.answer()), &control::Response::mutable_answer);
      needs_sync = true;
      break;
    case control::Request::kToday:
      response = WithReply(envelopes_.Today(request.today()), &control::Response::mutable_today);
      break;
    case control::Request::kOpen:
      response = WithReply(envelopes_.Open(request.open()), &control::Response::mutable_open);
      needs_sync = true;
      break;
    case control::Request::kRetract:
      response =
          WithReply(envelopes_.Retract(request.retract()), &control::Response::mutable_retract);
      needs_sync = true;
      break;
    case control::Request::kEnvelopes:
      response = WithReply(Result<control::EnvelopesReply>(envelopes_.Pending()),
                           &control::Response::mutable_envelopes);
      break;
    case control::Request::kNudge:
      response = WithReply(nudges_.Send(request.nudge()), &control::Response::mutable_nudge);
      needs_sync = true;
      break;
    case control::Request::kReact:
      response = WithReply(memories_.React(request.react()), &control::Response::mutable_react);
      needs_sync = true;
      break;
    case control::Request::kPresence:
      response =
          WithReply(boundaries_.Presence(request.presence()), &control::Response::mutable_presence);
      needs_sync = true;
      break;
    case control::Request::kConfig:
      response =
          WithReply(boundaries_.Config(request.config()), &control::Response::mutable_config);
      needs_sync = true;
      break;
    case control::Request::kQuiet:
      response = WithReply(boundaries_.Quiet(request.quiet()), &control::Response::mutable_quiet);
      needs_sync = true;
      break;
    case control::Request::kPin:
      response = WithReply(memories_.Pin(request.pin()), &control::Response::mutable_pin);
      needs_sync = true;
      break;
    case control::Request::kMemories:
      response = WithReply(memories_.Memories(), &control::Response::mutable_memories);
      break;
    case control::Request::kRecall:
      response = WithReply(memories_.Recall(request.recall()), &control::Response::mutable_recall);
      break;
    case control::Request::kSearch: {
      auto reply = co_await Search(request.search());
      response = WithReply(std::move(reply), &control::Response::mutable_search);
      break;
    }
    case control::Request::kForget: {
      auto reply = co_await Forget(request.forget());
      response = WithReply(std::move(reply), &control::Response::mutable_forget);
      break;
    }
    case control::Request::kPartnerAddresses:
      response = WithReply(PartnerAddresses(request.partner_addresses()),
                           &control::Response::mutable_partner_addresses);
      break;
    case control::Request::kBackup: {
      auto reply = co_await Backup(request.backup());
      response = WithReply(std::move(reply), &control::Response::mutable_backup);
      break;
    }
    default:
      break;
  }
  if (needs_sync && response.ok()) {
    Status status = co_await commit_.Sync();
    if (!status.ok()) co_return status;
  }
  co_return response;
}

Result<control::StatusReply> Daemon::StatusNow() const {
  control::StatusReply reply;
  reply.set_fingerprint(identity::Fingerprint(identity_.public_key));
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
  return reply;
}

Result<control::InviteReply> Daemon::MakeInvite(const control::InviteRequest& request) {
  int64_t seconds = request.expires_in_seconds() == 0
                        ? kDefaultInviteSeconds
                        : static_cast<int64_t>(request.expires_in_seconds());
  if (seconds > kMaxInviteSeconds) return InvalidArgument("an invite may last at most 30 days");
  std::vector<std::string> addresses(request.addresses().begin(), request.addresses().end());
  if (addresses.empty()) addresses = AdvertisedAddresses();
  for (const auto& a : addresses) INMOST_RETURN_IF_ERROR(identity::ValidateAddress(a));

  int64_t expires_at = clock_.NowUnixMs() / 1000 + seconds;
  auto open = partners_.CreateInvite(expires_at);
  if (!open.ok()) return open.status();
  identity::Invite invite;
  invite.inviter_key = identity_.public_key;
  invite.secret = crypto::SecretBytes::CopyOf(open->secret.span());
  invite.addresses = addresses;
  invite.expires_at_unix = expires_at;
  link_.SetInvite(peer::PendingInvite{std::move(open->secret), expires_at});
  log_.Info("invite created, expires in " + std::to_string(seconds) + " s");

  control::InviteReply reply;
  reply.set_code(identity::EncodeInvite(invite));
  reply.set_expires_at_unix(expires_at);
  return reply;
}

asio::awaitable<Result<control::JoinReply>> Daemon::Join(const control::JoinRequest& request) {
  if (partners_.partner())
    co_return FailedPrecondition("already paired; run `inmost unpair --yes` first");
  auto invite = identity::ParseInvite(request.code(), clock_.NowUnixMs() / 1000);
  if (!invite.ok()) co_return invite.status();
  if (invite->inviter_key == identity_.public_key) {
    co_return InvalidArgument("this is your own invite: give it to your partner");
  }
  auto partner = co_await link_.Join(*invite, AdvertisedAddresses());
  if (!partner.ok()) co_return partner.status();
  control::JoinReply reply;
  reply.set_partner_fingerprint(identity::Fingerprint(partner->static_key));
  reply.set_safety_number(identity::SafetyNumber(identity_.public_key, partner->static_key));
  co_return reply;
}

asio::awaitable<Result<control::UnpairReply>> Daemon::Unpair(
    const control::UnpairRequest& request) {
  if (!request.confirm()) co_return InvalidArgument("unpairing forgets your partner: confirm it");
  if (!partners_.partner()) co_return FailedPrecondition("not paired");
  control::UnpairReply reply;
  if (request.forget_history()) {
    // What is still sealed or scheduled goes nowhere now: withdrawn, keys destroyed.
    envelopes_.StartWithNewPartner();
    files_.StartWithNewPartner();
    auto forgotten = co_await ForgetEverything();
    if (!forgotten.ok()) co_return forgotten.status();
    reply.set_forgotten(forgotten->forgotten());
    reply.set_partner_asked(forgotten->partner_asked());
  }
  Status forgot_partner = partners_.Forget();
  if (!forgot_partner.ok()) co_return forgot_partner;
  link_.SetPartner(std::nullopt);
  SetPartnerForQuestions(std::nullopt);
  log_.Info("unpaired");
  co_return reply;
}

asio::awaitable<Result<control::ForgetReply>> Daemon::Forget(
    const control::ForgetRequest& request) {
  if (request.all()) {
    if (request.id() != 0 || request.keep()) {
      co_return InvalidArgument("forget either one message or all of them");
    }
    co_return co_await ForgetEverything();
  }
  auto reply = memories_.Forget(request);
  if (!reply.ok()) co_return reply.status();
  Status synced = co_await commit_.Sync();
  if (!synced.ok()) co_return synced;
  co_return reply;
}

asio::awaitable<Result<control::ForgetReply>> Daemon::ForgetEverything() {
  control::ForgetReply reply;
  if (partners_.partner() && link_.IsUp()) {
    memories_.AskToForgetEverything();
    Status synced = co_await commit_.Sync();
    if (!synced.ok()) co_return synced;
    // The request must reach the partner before we stop talking to them.
    asio::steady_timer poll(io_);
    for (auto deadline = std::chrono::steady_clock::now() + kForgetRequestWait;
         conversation_.unacknowledged() > 0 && std::chrono::steady_clock::now() < deadline;) {
      poll.expires_after(std::chrono::milliseconds(20));
      boost::system::error_code ignored;
      co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    reply.set_partner_asked(conversation_.unacknowledged() == 0);
  }
  auto forgotten = memories_.ForgetEverything();
  if (!forgotten.ok()) co_return forgotten.status();
  reply.set_forgotten(*forgotten);
  co_return reply;
}

asio::awaitable<Result<control::SearchReply>> Daemon::Search(
    const control::SearchRequest& request) {
  uint32_t limit =
      request.limit() == 0 ? kDefaultSearchLimit : std::min(request.limit(), kMaxSearchLimit);
  const store::SealedStore& store = *db_;
  std::string words = request.words();
  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxSearchThreads);
  // Named, not a temporary in the co_await: GCC 12 destroys those twice.
  std::function<Result<core::SearchResult>()> search = [&store, words, limit, threads] {
    return core::SearchHistory(store, words, limit, threads);
  };
  auto found = co_await background_.Run(search);
  if (!found.ok()) co_return found.status();
  control::SearchReply reply;
  for (const auto& entry : found->matches) {
    *reply.add_messages() = core::MessageView(entry, envelopes_.partner_present());
  }
  reply.set_searched(found->searched);
  reply.set_more(found->more);
  co_return reply;
}

asio::awaitable<Result<control::BackupReply>> Daemon::Backup(
    const control::BackupRequest& request) {
  std::filesystem::path path(request.path());
  if (!path.is_absolute()) co_return InvalidArgument("give the backup file as an absolute path");
  if (request.passphrase().size() < store::kMinBackupPassphraseSize) {
    co_return InvalidArgument("the backup passphrase needs at least " +
                              std::to_string(store::kMinBackupPassphraseSize) + " bytes");
  }
  // Everything accepted so far is in the backup.
  Status synced = co_await commit_.Sync();
  if (!synced.ok()) co_return synced;
  auto passphrase = std::make_shared<crypto::SecretBytes>(
      crypto::SecretBytes::CopyOf(crypto::AsBytes(request.passphrase())));
  const store::SealedStore& store = *db_;
  const std::filesystem::path files = data_dir_.files_path();
  std::function<Result<store::BackupStats>()> backup = [&store, path, passphrase, files] {
    return store::WriteBackup(store, path, *passphrase, store::KdfLimits::Interactive(), files);
  };
  auto written = co_await background_.Run(backup);
  if (!written.ok()) co_return written.status();
  log_.Info("backup written: " + std::to_string(written->records) + " records, " +
            std::to_string(written->files) + " files");
  control::BackupReply reply;
  reply.set_path(path.string());
  reply.set_records(written->records);
  reply.set_bytes(written->bytes);
  reply.set_files(written->files);
  co_return reply;
}

Result<control::PartnerAddressesReply> Daemon::PartnerAddresses(
    const control::PartnerAddressesRequest& request) {
  const auto& partner = partners_.partner();
  if (!partner) return FailedPrecondition("not paired");
  bool edits = !request.set().empty() || !request.add().empty() || !request.remove().empty();
  if (edits) {
    for (const auto* list : {&request.set(), &request.add()}) {
      for (const auto& address : *list) INMOST_RETURN_IF_ERROR(identity::ValidateAddress(address));
    }
    std::vector<std::string> addresses =
        request.set().empty()
            ? partner->addresses
            : std::vector<std::string>(request.set().begin(), request.set().end());
    for (auto it = request.add().rbegin(); it != request.add().rend(); ++it) {
      std::erase(addresses, *it);
      addresses.insert(addresses.begin(), *it);
    }
    for (const auto& address : request.remove()) std::erase(addresses, address);
    if (addresses.empty()) return InvalidArgument("the partner needs at least one address");
    if (addresses.size() > peer::kMaxPartnerAddresses) {
      return InvalidArgument("at most " + std::to_string(peer::kMaxPartnerAddresses) +
                             " addresses");
    }
    INMOST_RETURN_IF_ERROR(partners_.SetAddresses(addresses));
    link_.SetPartner(partners_.partner());  // Dials the new list from its start.
  }
  control::PartnerAddressesReply reply;
  for (const auto& address : partners_.partner()->addresses) reply.add_addresses(address);
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
  files_.OnLinkDown();
}

void Daemon::OnPeerMessage(const peer::PeerMessage& message) {
  if (message.has_presence()) {
    const peer::Presence& presence = message.presence();
    envelopes_.OnPartnerPresence(presence.present() && presence.choice() != peer::Presence::HIDDEN);
    boundaries_.OnPartnerPresence(presence);
  } else if (message.has_boundaries()) {
    boundaries_.OnPartnerBoundaries(message.boundaries());
  } else if (message.has_file_chunk() || message.has_file_want()) {
    if (conversation_.Ready().ok()) files_.OnPeerMessage(message);
  } else if (message.has_stream_hello() || message.has_stream_open()) {
    // Not behind Ready(): without them no stream opens until the next link up.
    conversation_.OnPeerMessage(message);
  } else if (conversation_.Ready().ok()) {
    conversation_.OnPeerMessage(message);
  }  // Else the store is failing: not acknowledged, so the partner sends it again.
}

void Daemon::SetPartnerForQuestions(const std::optional<core::Partner>& partner) {
  if (!partner) {
    envelopes_.SetQuestionOfTheDay(std::nullopt);
    return;
  }
  auto daily = core::QuestionOfTheDay::ForPair(identity_, partner->static_key);
  if (!daily.ok()) {
    log_.Warning("no question of the day: " + daily.status().ToString());
    envelopes_.SetQuestionOfTheDay(std::nullopt);
    return;
  }
  envelopes_.SetQuestionOfTheDay(std::move(*daily));
}

Status Daemon::OnPaired(const core::Partner& partner) {
  // Their writes are synced with the conversation's.
  envelopes_.StartWithNewPartner();
  files_.StartWithNewPartner();
  boundaries_.StartWithNewPartner();
  nudges_.StartWithNewPartner();
  INMOST_RETURN_IF_ERROR(conversation_.StartWithNewPartner());
  INMOST_RETURN_IF_ERROR(partners_.Pair(partner, clock_.NowUnixMs()));
  SetPartnerForQuestions(partner);
  log_.Info("paired with partner " + identity::Fingerprint(partner.static_key));
  control::Event event;
  event.mutable_paired()->set_partner_fingerprint(identity::Fingerprint(partner.static_key));
  event.mutable_paired()->set_safety_number(
      identity::SafetyNumber(identity_.public_key, partner.static_key));
  Publish(std::move(event));
  return Status::Ok();
}

void Daemon::OnPartnerAddresses(const std::vector<std::string>& addresses) {
  Status status = partners_.SetAddresses(addresses);
  if (!status.ok()) log_.Warning("could not save the partner's addresses: " + status.ToString());
}

}  // namespace inmost
