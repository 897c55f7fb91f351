// One daemon's core without sockets, for unit tests of the features: the store in a
// temp directory, GroupCommit and every part that Daemon wires (daemon/daemon.cc),
// built in the same order with the same arguments, around a FakeChannel that
// records what would go to the partner and a ManualClock the test moves. CorePair
// joins two cores: each side's sent PeerMessages reach the other's router only
// when the test passes them on (Flow, Settle), so it can reorder, drop or delay
// them. Everything runs on the test's thread; each side has its own io_context.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

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
#include "daemon/core/incoming_budget.h"
#include "daemon/core/message_edits.h"
#include "daemon/core/nudges.h"
#include "daemon/core/partner_book.h"
#include "daemon/core/partner_channel.h"
#include "daemon/core/router.h"
#include "daemon/core/search.h"
#include "daemon/core/shared_memories.h"
#include "daemon/core/typing.h"
#include "daemon/core/view_once.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/log/logger.h"
#include "daemon/store/sealed_store.h"
#include "proto/control.pb.h"
#include "proto/peer.pb.h"
#include "tests/unit/temp_dir.h"

namespace inmost::test {

// 2024-03-01 12:00:00 UTC: where a CorePair's clock starts.
inline constexpr int64_t kCoreStartUnixMs = 1'709'294'400'000;

// The partner link as the core sees it: records what is sent while up, refuses
// (returns false) while down. What is sent and not yet taken is its queue.
class FakeChannel final : public core::PartnerChannel {
 public:
  bool SendToPartner(const peer::PeerMessage& message) override;
  bool IsUp() const override { return up_; }
  size_t QueuedBytes() const override;

  void set_up(bool up) { up_ = up; }
  // Bytes the queue holds on top of what was sent and not taken.
  void set_extra_queued_bytes(size_t bytes) { extra_queued_bytes_ = bytes; }
  // Sent and not yet taken, oldest first.
  const std::vector<peer::PeerMessage>& sent() const { return sent_; }
  // Everything sent since the last Take (or Drop), oldest first.
  std::vector<peer::PeerMessage> Take();
  // Forgets what was sent and not taken (lost with a session).
  void Drop() { sent_.clear(); }
  // How many sends were refused because the link was down.
  int refused() const { return refused_; }

 private:
  bool up_ = false;
  size_t extra_queued_bytes_ = 0;
  int refused_ = 0;
  std::vector<peer::PeerMessage> sent_;
};

// What DaemonOptions say about the core.
struct CoreOptions {
  uint64_t max_file_bytes = uint64_t{4} << 30;
  uint64_t file_quota_bytes = uint64_t{20} << 30;
  uint64_t transfer_rate_bytes_per_second = 0;
  core::IncomingLimits incoming;
  std::string quiet_hours;  // "HH:MM-HH:MM" or "off"; empty: leave what is set.
};

// Every part of one daemon's core. The constructor (core_fixture.cc) builds them
// as Daemon's constructor does: the one place to change when a signature changes.
struct CoreParts {
  CoreParts(boost::asio::io_context& io, store::SealedStore& db, core::PartnerChannel& link,
            const core::Clock& clock, log::Logger& log, const std::filesystem::path& files_path,
            const CoreOptions& options);

  core::EventHub events;
  // Set by CoreSide::Open; before commit, so it outlives the writer thread.
  std::unique_ptr<core::HistoryIndex> index;
  core::GroupCommit commit;
  core::PartnerBook partners;
  core::Conversation conversation;
  core::Boundaries boundaries;
  core::BackgroundWork background;
  core::FileTransfers files;
  core::Envelopes envelopes;
  core::Nudges nudges;
  core::SharedMemories memories;
  core::ViewOnceMessages view_once;
  core::MessageEdits edits;
  core::Disappearing disappearing;
  core::Composer composer;
  core::Search search;
  core::Backups backups;
  core::Typing typing;
  core::Drafts drafts;
  core::Router router;
};

// One daemon's core over a data directory of its own.
class CoreSide {
 public:
  CoreSide(std::string name, const core::Clock& clock, CoreOptions options = {});
  ~CoreSide();
  CoreSide(const CoreSide&) = delete;
  CoreSide& operator=(const CoreSide&) = delete;

  // Opens the store (creating it the first time), builds the parts, loads them and
  // registers their routes as Daemon::Open does, then starts them as Daemon::Start.
  Status Open();
  // Daemon::Stop, then drops the parts and closes the store.
  void Close();
  // Drops everything without stopping or flushing: the batch being filled is lost,
  // as in a kill -9 (what the writer thread holds still reaches the disk).
  void Crash();
  // Close (or Crash) and Open again over the same directory.
  Status Restart(bool crash = false);
  bool open() const { return parts_ != nullptr; }

  const std::string& name() const { return name_; }
  CoreParts& parts() { return *parts_; }
  CoreParts* operator->() { return parts_.get(); }
  boost::asio::io_context& io() { return *io_; }
  FakeChannel& channel() { return channel_; }
  store::SealedStore& store() { return *store_; }
  const crypto::KeyPair& identity() const { return identity_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path files_path() const;
  CoreOptions& options() { return options_; }
  // What the core logged since it was created.
  std::string log_text() const { return log_lines_.str(); }
  // The partner's PairingEnded items handed to the partnership (not in a unit core:
  // only counted) since this side was created.
  int pairing_ended_items() const { return pairing_ended_items_; }

  // ---- the peer link's calls, as Daemon makes them ----
  void LinkUp();  // The channel goes up first.
  void LinkDown();
  void Receive(const peer::PeerMessage& message) { parts_->router.Deliver(message); }
  void LinkWritable() { parts_->files.OnLinkWritable(); }
  // A chat window opens (a present subscriber) or closes here.
  void SetPresent(bool present);

  // Events published to subscribers since the last call.
  std::vector<control::Event> TakeEvents();

  // ---- control requests through the router ----
  // Starts `request`; its answer is set once the router gives it.
  using Answer = std::shared_ptr<std::optional<Result<control::Response>>>;
  Answer Begin(const control::Request& request);
  // Runs `request` to its answer (on this side alone: the partner does not run).
  Result<control::Response> Call(const control::Request& request);
  Result<control::SendReply> Send(const control::SendRequest& request);
  Result<control::SendReply> Send(const std::string& text);
  // The whole history, oldest first (empty on an error, which fails the test).
  std::vector<control::Message> History();
  // The history entry `id` as the History request shows it.
  std::optional<control::Message> Message(uint64_t id);
  // The texts of the history's entries with `direction`, oldest first.
  std::vector<std::string> Texts(control::Message::Direction direction);

  // Runs the io_context until nothing is ready and no write is in flight (work on
  // other threads, such as syncing received file chunks, is not waited for).
  void RunUntilIdle();
  // Runs until `done()` holds; false (and a test failure) after `timeout`.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  Status RegisterRoutes();
  // Waits until every write handed to the store so far has finished; returns the
  // number of handlers that ran meanwhile.
  size_t Barrier();

  std::string name_;
  const core::Clock& clock_;
  CoreOptions options_;
  TempDir dir_;
  crypto::SecretBytes storage_key_;
  crypto::KeyPair identity_;
  FakeChannel channel_;
  std::ostringstream log_lines_;
  log::Logger log_;
  std::vector<control::Event> events_;
  uint64_t present_sink_ = 0;
  int pairing_ended_items_ = 0;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<store::SealedStore> store_;
  std::unique_ptr<CoreParts> parts_;
};

// Two cores, "a" and "b", on one ManualClock.
class CorePair {
 public:
  explicit CorePair(CoreOptions options = {}, int64_t start_unix_ms = kCoreStartUnixMs);
  CorePair(CoreOptions a_options, CoreOptions b_options, int64_t start_unix_ms = kCoreStartUnixMs);

  CoreSide& a() { return a_; }
  CoreSide& b() { return b_; }
  CoreSide& other(const CoreSide& side) { return &side == &a_ ? b_ : a_; }
  core::ManualClock& clock() { return clock_; }

  // Opens both sides and pairs them as Partnership::OnPaired does on a pairing
  // (the handshake itself is the link's), with the link down.
  Status Open();
  // Pairs both (again): every part starts afresh with the other.
  Status Pair();

  // The link comes up on both sides; with `settle`, the streams open (Settle).
  void LinkUp(bool settle = true);
  // The link goes down on both sides: what is in transit is lost.
  void LinkDown();

  // Hands each message `from` sent so far to the other side, in order (none while
  // the link is down: it was lost); returns how many.
  size_t Flow(CoreSide& from);
  // Runs both sides and passes messages both ways until neither has anything left.
  void Settle();
  // Settles until `done()` holds (work on other threads, such as syncing received
  // file chunks, included); false (and a test failure) after `timeout`.
  bool SettleUntil(const std::function<bool()>& done,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Runs `request` on `side` to its answer while both sides run and talk (for a
  // request that waits for the partner).
  Result<control::Response> Call(CoreSide& side, const control::Request& request);
  // Moves the clock.
  void Advance(std::chrono::milliseconds by) { clock_.Advance(by); }

 private:
  core::ManualClock clock_;
  CoreSide a_;
  CoreSide b_;
};

// A gtest fixture with a paired CorePair whose link is up and settled.
class CorePairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pair_.Open().ok());
    pair_.LinkUp();
  }
  CoreSide& a() { return pair_.a(); }
  CoreSide& b() { return pair_.b(); }

  CorePair pair_;
};

// Makes every write to a file beyond `bytes` fail (EFBIG, as a full disk fails it)
// for this whole process while it lives: LevelDB's log cannot grow, so the next
// store write fails, and the store cannot reopen until the limit is lifted.
class DiskLimit {
 public:
  explicit DiskLimit(uint64_t bytes = 0);
  ~DiskLimit();
  DiskLimit(const DiskLimit&) = delete;
  DiskLimit& operator=(const DiskLimit&) = delete;

 private:
  uint64_t saved_soft_;
};

}  // namespace inmost::test
