#include "tests/unit/core_fixture.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <utility>

#include "daemon/codec/core/question_of_the_day.h"
#include "daemon/store/data_dir.h"
#include "daemon/store/storage_key.h"

namespace inmost::test {

namespace asio = boost::asio;

// ---- FakeChannel ------------------------------------------------------------------

bool FakeChannel::SendToPartner(const peer::PeerMessage& message) {
  if (!up_) {
    ++refused_;
    return false;
  }
  sent_.push_back(message);
  return true;
}

size_t FakeChannel::QueuedBytes() const {
  size_t bytes = extra_queued_bytes_;
  for (const auto& message : sent_) bytes += message.ByteSizeLong();
  return bytes;
}

std::vector<peer::PeerMessage> FakeChannel::Take() {
  return std::exchange(sent_, {});
}

// ---- CoreParts: as Daemon::Daemon ---------------------------------------------------

CoreParts::CoreParts(asio::io_context& io, store::SealedStore& db, core::PartnerChannel& link,
                     const core::Clock& clock, log::Logger& log,
                     const std::filesystem::path& files_path, const CoreOptions& options)
    : commit(io, db),
      partners(db),
      conversation(db, commit, events, link, clock, log),
      boundaries(io, db, commit, conversation, events, link, clock, log),
      background(io),
      files(io, db, commit, conversation, link, boundaries, background, clock, log, files_path,
            store::DataDir(files_path.parent_path()).uploads_path(),
            core::FileLimits{options.max_file_bytes, options.file_quota_bytes,
                             options.transfer_rate_bytes_per_second}),
      envelopes(io, db, commit, conversation, events, link, files, clock, log),
      nudges(db, commit, conversation, boundaries, link, clock, log),
      memories(io, db, commit, conversation, boundaries, clock, log),
      view_once(db, commit, conversation, files, clock, log),
      edits(conversation, clock, log),
      disappearing(io, db, commit, conversation, boundaries, clock, log),
      composer(commit, conversation, files, envelopes, view_once),
      search(db, background, [this] { return envelopes.partner_present(); }),
      backups(db, commit, background, files_path, log),
      typing(events, link, boundaries, clock),
      drafts(db, commit, conversation, events, clock, log),
      router([this] { return conversation.Ready(); }, [this] { return commit.Sync(); }) {}

// ---- CoreSide -----------------------------------------------------------------------

namespace {

// Where the sides keep their data: memory when there is some (syncs cost nothing,
// which keeps the feature tests fast), else /tmp.
std::string DataParent() {
  std::error_code ec;
  return std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
             ? "/dev/shm"
             : "/tmp";
}

}  // namespace

CoreSide::CoreSide(std::string name, const core::Clock& clock, CoreOptions options)
    : name_(std::move(name)),
      clock_(clock),
      options_(std::move(options)),
      dir_(DataParent()),
      storage_key_(crypto::SecretBytes::Random(store::kStorageKeySize)),
      identity_(crypto::KeyPair::Generate()),
      log_(log_lines_, log::Level::kDebug) {}

CoreSide::~CoreSide() {
  if (open()) Close();
}

std::filesystem::path CoreSide::files_path() const {
  return store::DataDir(dir_.path()).files_path();
}

Status CoreSide::Open() {
  if (open()) return FailedPrecondition("already open");
  io_ = std::make_unique<asio::io_context>();
  store::DataDir data(dir_.path());
  bool exists = std::filesystem::exists(data.store_path());
  auto db =
      store::SealedStore::Open(data.store_path(), crypto::SecretBytes::CopyOf(storage_key_.span()),
                               exists ? store::OpenMode::kExisting : store::OpenMode::kCreate);
  if (!db.ok()) return db.status();
  store_ = std::move(*db);
  parts_ =
      std::make_unique<CoreParts>(*io_, *store_, channel_, clock_, log_, files_path(), options_);
  CoreParts& p = *parts_;
  // Daemon::Open
  INMOST_RETURN_IF_ERROR(p.partners.Load());
  INMOST_RETURN_IF_ERROR(p.conversation.Load());
  auto index = core::HistoryIndex::Open(
      *io_, *store_, p.commit, [&p] { return p.conversation.last_history_id() + 1; }, log_);
  if (!index.ok()) return index.status();
  p.index = std::move(*index);
  p.conversation.SetHistoryIndex(p.index.get());
  p.search.SetIndex(p.index.get());
  p.conversation.SetIncomingLimits(options_.incoming);
  INMOST_RETURN_IF_ERROR(p.files.Load());
  INMOST_RETURN_IF_ERROR(p.envelopes.Load());
  INMOST_RETURN_IF_ERROR(p.boundaries.Load());
  INMOST_RETURN_IF_ERROR(p.nudges.Load());
  INMOST_RETURN_IF_ERROR(p.memories.Load());
  INMOST_RETURN_IF_ERROR(p.drafts.Load());
  INMOST_RETURN_IF_ERROR(RegisterRoutes());
  if (const auto& partner = p.partners.partner()) {
    auto daily = core::QuestionOfTheDay::ForPair(identity_, partner->static_key);
    if (!daily.ok()) return daily.status();
    p.envelopes.SetQuestionOfTheDay(std::move(*daily));
  }
  // Daemon::Start
  p.events.Subscribe([this](const control::Event& event) { events_.push_back(event); });
  p.events.SetPresenceObserver([this](bool) {
    asio::post(*io_, [this] {
      parts_->envelopes.SetPresent(parts_->events.present());
      parts_->boundaries.OnPresent(parts_->events.present());
    });
  });
  p.envelopes.Start();
  if (!options_.quiet_hours.empty()) {
    control::ConfigRequest request;
    request.set_key("quiet-hours");
    request.set_value(options_.quiet_hours);
    auto set = p.boundaries.Config(request);
    if (!set.ok()) return set.status();
    p.commit.FlushNow();
    INMOST_RETURN_IF_ERROR(p.conversation.Ready());
  }
  p.boundaries.SetMaxFileBytes(options_.max_file_bytes);
  p.boundaries.SetOwnChangeObserver([&p] { p.typing.OnSharingChanged(); });
  p.boundaries.Start();
  p.files.Start();
  p.disappearing.Start();
  RunUntilIdle();
  return Status::Ok();
}

Status CoreSide::RegisterRoutes() {
  CoreParts& p = *parts_;
  // The daemon's own kinds and the partnership's need the link, the web onion's Tor:
  // not in a unit core.
  for (auto kind :
       {control::Request::kStatus, control::Request::kSubscribe, control::Request::kInvite,
        control::Request::kJoin, control::Request::kUnpair, control::Request::kPartnerAddresses,
        control::Request::kWebOnion, control::Request::kWebDevices}) {
    p.router.AnsweredBy(kind, "the daemon (not in a unit core)");
  }
  for (auto kind : {peer::PeerMessage::kKeepalive, peer::PeerMessage::kAddresses,
                    peer::PeerMessage::kPairConfirm, peer::PeerMessage::kPairWelcome}) {
    p.router.HandledByLink(kind);
  }
  p.router.OnItem(peer::Deliver::kPairingEnded, "the partnership (not in a unit core)",
                  [this](const peer::Deliver&) { ++pairing_ended_items_; });
  // As Daemon::RegisterRoutes.
  p.conversation.Register(p.router, [&p] { return p.envelopes.partner_present(); });
  p.boundaries.Register(p.router, [&p](bool present) { p.envelopes.OnPartnerPresence(present); });
  p.files.Register(p.router);
  p.envelopes.Register(p.router);
  p.nudges.Register(p.router);
  p.memories.Register(p.router,
                      [this, &p] { return p.partners.partner().has_value() && channel_.IsUp(); });
  p.view_once.Register(p.router);
  p.edits.Register(p.router);
  p.disappearing.Register(p.router);
  p.composer.Register(p.router);
  p.search.Register(p.router);
  p.backups.Register(p.router);
  p.typing.Register(p.router);
  p.drafts.Register(p.router);
  return p.router.Check();
}

void CoreSide::Close() {
  if (!open()) return;
  // Daemon::Stop
  CoreParts& p = *parts_;
  p.envelopes.Stop();
  p.files.Stop();
  p.disappearing.Stop();
  p.boundaries.Stop();
  p.boundaries.SetOwnChangeObserver(nullptr);
  p.events.SetPresenceObserver(nullptr);
  p.background.JoinAll();
  if (p.index) p.index->Stop();
  p.commit.FlushNow();
  io_->poll();  // What Stop cancelled ends.
  Crash();
}

void CoreSide::Crash() {
  // The parts go first (their timers belong to the io_context); the io_context then
  // drops what was still queued, without running it.
  parts_.reset();
  store_.reset();
  io_.reset();
  present_sink_ = 0;
  channel_.set_up(false);
  channel_.Drop();
}

Status CoreSide::Restart(bool crash) {
  if (crash) {
    Crash();
  } else {
    Close();
  }
  return Open();
}

void CoreSide::LinkUp() {
  channel_.set_up(true);
  CoreParts& p = *parts_;
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  event.mutable_link_up()->set_address("127.0.0.1:7433");
  p.events.Publish(event);
  p.boundaries.OnLinkUp();
  p.conversation.OnLinkUp();
  p.files.OnLinkUp();
  p.envelopes.OnLinkUp();
  p.nudges.OnLinkUp();
}

void CoreSide::LinkDown() {
  channel_.set_up(false);
  channel_.Drop();
  CoreParts& p = *parts_;
  control::Event event;
  event.set_at_unix_ms(clock_.NowUnixMs());
  event.mutable_link_down()->set_reason("the test took it down");
  p.events.Publish(event);
  p.envelopes.OnLinkDown();
  p.boundaries.OnLinkDown();
  p.typing.OnLinkDown();
  p.files.OnLinkDown();
}

void CoreSide::SetPresent(bool present) {
  if (present && present_sink_ == 0) {
    present_sink_ = parts_->events.Subscribe([](const control::Event&) {}, true);
  } else if (!present && present_sink_ != 0) {
    parts_->events.Unsubscribe(std::exchange(present_sink_, 0));
  }
  RunUntilIdle();
}

std::vector<control::Event> CoreSide::TakeEvents() {
  return std::exchange(events_, {});
}

CoreSide::Answer CoreSide::Begin(const control::Request& request) {
  auto answer = std::make_shared<std::optional<Result<control::Response>>>();
  asio::co_spawn(
      *io_,
      [this, request, answer]() -> asio::awaitable<void> {
        answer->emplace(co_await parts_->router.Handle(request));
      },
      asio::detached);
  return answer;
}

Result<control::Response> CoreSide::Call(const control::Request& request) {
  Answer answer = Begin(request);
  if (!RunUntil([&] { return answer->has_value(); })) return Unavailable("no answer");
  return std::move(**answer);
}

Result<control::SendReply> CoreSide::Send(const control::SendRequest& send) {
  control::Request request;
  *request.mutable_send() = send;
  INMOST_ASSIGN_OR_RETURN(auto response, Call(request));
  return response.send();
}

Result<control::SendReply> CoreSide::Send(const std::string& text) {
  control::SendRequest send;
  send.set_text(text);
  return Send(send);
}

std::vector<control::Message> CoreSide::History() {
  control::Request request;
  request.mutable_history()->set_limit(1000);
  auto response = Call(request);
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  if (!response.ok()) return {};
  const auto& messages = response->history().messages();
  return {messages.begin(), messages.end()};
}

std::optional<control::Message> CoreSide::Message(uint64_t id) {
  for (auto& message : History()) {
    if (message.id() == id) return message;
  }
  return std::nullopt;
}

std::vector<std::string> CoreSide::Texts(control::Message::Direction direction) {
  std::vector<std::string> texts;
  for (const auto& message : History()) {
    if (message.direction() == direction) texts.push_back(message.text());
  }
  return texts;
}

size_t CoreSide::Barrier() {
  auto done = std::make_shared<bool>(false);
  parts_->commit.AfterWrite([done](const Status&) { *done = true; });
  size_t ran = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!*done && std::chrono::steady_clock::now() < deadline) {
    ran += io_->run_one_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(*done) << name_ << ": a store write did not finish";
  return ran;
}

void CoreSide::RunUntilIdle() {
  // A round that runs only the barrier's own two handlers (its submit and its
  // finish) found nothing else to do; two such rounds in a row end it.
  for (int quiet = 0, rounds = 0; quiet < 2 && rounds < 10000; ++rounds) {
    size_t ran = io_->poll();
    ran += Barrier();
    quiet = ran <= 2 ? quiet + 1 : 0;
  }
}

bool CoreSide::RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ADD_FAILURE() << name_ << ": timed out waiting";
      return false;
    }
    io_->run_one_for(std::chrono::milliseconds(5));
  }
  return true;
}

// ---- CorePair -----------------------------------------------------------------------

CorePair::CorePair(CoreOptions options, int64_t start_unix_ms)
    : CorePair(options, options, start_unix_ms) {}

CorePair::CorePair(CoreOptions a_options, CoreOptions b_options, int64_t start_unix_ms)
    : clock_(start_unix_ms), a_("a", clock_, std::move(a_options)), b_("b", clock_, b_options) {}

Status CorePair::Open() {
  INMOST_RETURN_IF_ERROR(a_.Open());
  INMOST_RETURN_IF_ERROR(b_.Open());
  return Pair();
}

Status CorePair::Pair() {
  for (CoreSide* side : {&a_, &b_}) {
    CoreParts& p = side->parts();
    // Partnership::OnPaired
    p.envelopes.StartWithNewPartner();
    p.files.StartWithNewPartner();
    p.boundaries.StartWithNewPartner();
    p.nudges.StartWithNewPartner();
    INMOST_RETURN_IF_ERROR(p.conversation.StartWithNewPartner());
    core::Partner partner;
    partner.static_key = other(*side).identity().public_key;
    partner.addresses = {side == &a_ ? "b.example:7433" : "a.example:7433"};
    INMOST_RETURN_IF_ERROR(p.partners.Pair(partner, clock_.NowUnixMs()));
    // Partnership::FollowPartner
    p.conversation.SetNumberingSide(store::SideOf(side->identity().public_key, partner.static_key));
    auto daily = core::QuestionOfTheDay::ForPair(side->identity(), partner.static_key);
    if (!daily.ok()) return daily.status();
    p.envelopes.SetQuestionOfTheDay(std::move(*daily));
    side->RunUntilIdle();
  }
  return Status::Ok();
}

void CorePair::LinkUp(bool settle) {
  a_.LinkUp();
  b_.LinkUp();
  if (settle) Settle();
}

void CorePair::LinkDown() {
  a_.LinkDown();
  b_.LinkDown();
  a_.RunUntilIdle();
  b_.RunUntilIdle();
}

size_t CorePair::Flow(CoreSide& from) {
  CoreSide& to = other(from);
  auto messages = from.channel().Take();
  if (!to.channel().IsUp()) return 0;
  for (const auto& message : messages) to.Receive(message);
  return messages.size();
}

void CorePair::Settle() {
  for (int rounds = 0; rounds < 10000; ++rounds) {
    a_.RunUntilIdle();
    b_.RunUntilIdle();
    size_t moved = Flow(a_) + Flow(b_);
    if (moved == 0 && a_.channel().sent().empty() && b_.channel().sent().empty()) return;
    if (moved > 0) {
      a_.LinkWritable();
      b_.LinkWritable();
    }
  }
  ADD_FAILURE() << "the pair never settled";
}

bool CorePair::SettleUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    Settle();
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) {
      ADD_FAILURE() << "timed out waiting for the pair";
      return false;
    }
    a_.io().run_one_for(std::chrono::milliseconds(1));
    b_.io().run_one_for(std::chrono::milliseconds(1));
  }
}

Result<control::Response> CorePair::Call(CoreSide& side, const control::Request& request) {
  CoreSide::Answer answer = side.Begin(request);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!answer->has_value()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ADD_FAILURE() << side.name() << ": no answer";
      return Unavailable("no answer");
    }
    Settle();
    if (!answer->has_value()) side.io().run_one_for(std::chrono::milliseconds(5));
  }
  return std::move(**answer);
}

// ---- DiskLimit ----------------------------------------------------------------------

DiskLimit::DiskLimit(uint64_t bytes) {
  ::signal(SIGXFSZ, SIG_IGN);  // A write past the limit fails with EFBIG instead.
  rlimit limit{};
  ::getrlimit(RLIMIT_FSIZE, &limit);
  saved_soft_ = limit.rlim_cur;
  limit.rlim_cur = bytes;
  EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
}

DiskLimit::~DiskLimit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_FSIZE, &limit);
  limit.rlim_cur = saved_soft_;
  EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
}

}  // namespace inmost::test
