// The peer-link test harness: PartnerLinks on one io_context in this process, on
// 127.0.0.1 with ports picked by the system, a raw TCP client and a scripted fake
// partner. Synchronisation is by running the io_context until a condition holds or
// a deadline passes, never by bare sleeps.
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/codec/peer/transport_message.h"
#include "daemon/core/clock.h"
#include "daemon/core/link_listener.h"
#include "daemon/crypto/bytes.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/crypto/secret_bytes.h"
#include "daemon/identity/invite_code.h"
#include "daemon/log/logger.h"
#include "daemon/peer/address.h"
#include "daemon/peer/asio.h"
#include "daemon/peer/backoff.h"
#include "daemon/peer/handshake_mac.h"
#include "daemon/peer/hello.h"
#include "daemon/peer/pairing.h"
#include "daemon/peer/partner_link.h"
#include "daemon/peer/rate_limiter.h"
#include "daemon/peer/session_handshake.h"
#include "daemon/peer/socket_io.h"
#include "daemon/wire/frame.h"

namespace inmost::peer::link_testing {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

class RecordingListener : public core::LinkListener {
 public:
  void OnLinkUp(const std::string& address) override {
    ups.push_back(address);
    up = true;
  }
  void OnLinkDown(const std::string& reason) override {
    downs.push_back(reason);
    up = false;
  }
  void OnPeerMessage(const PeerMessage& message) override { messages.push_back(message); }
  Status OnPaired(const core::Partner& partner) override {
    paired.push_back(partner);
    return paired_status;
  }
  void OnPartnerAddresses(const std::vector<std::string>& list) override {
    addresses.push_back(list);
  }

  size_t DeliveredCount() const {
    return static_cast<size_t>(std::count_if(messages.begin(), messages.end(),
                                             [](const auto& m) { return m.has_deliver(); }));
  }

  bool up = false;
  std::vector<std::string> ups;
  std::vector<std::string> downs;
  std::vector<PeerMessage> messages;
  std::vector<core::Partner> paired;
  std::vector<std::vector<std::string>> addresses;
  Status paired_status;
};

inline LinkOptions FastOptions() {
  LinkOptions options;
  options.keepalive_interval = 100ms;
  options.dead_after = 500ms;
  options.handshake_timeout = 500ms;
  options.backoff_initial = 20ms;
  options.backoff_max = 200ms;
  options.rehandshake_after = std::chrono::hours(1);
  options.rekey_after_messages = 3;  // Rekeys often, so the tests cross several rekeys.
  return options;
}

// One daemon's worth of link: its key, its listener, its log and the link itself.
struct Node {
  Node(asio::io_context& io, crypto::KeyPair key_pair, const core::Clock& clock,
       LinkOptions options)
      : key(std::move(key_pair)), link(io, key, listener, clock, logger, options) {}

  core::Partner AsPartner() const { return core::Partner{key.public_key, {link.listen_address()}}; }

  crypto::KeyPair key;
  RecordingListener listener;
  std::ostringstream logs;
  log::Logger logger{logs, log::Level::kDebug};
  PartnerLink link;
  std::string address;  // Where it listens, for the failure report.
};

inline crypto::KeyPair CopyOf(const crypto::KeyPair& key_pair) {
  auto copy = crypto::KeyPair::FromPrivate(key_pair.private_key.span());
  EXPECT_TRUE(copy.ok());
  return std::move(*copy);
}

inline PeerMessage DeliverMessage(uint64_t seq, const std::string& text) {
  PeerMessage message;
  message.mutable_deliver()->set_seq(seq);
  message.mutable_deliver()->set_text(text);
  return message;
}

using JoinOutcome = std::optional<Result<core::Partner>>;

// Join from a coroutine, as the daemon does; the result lands in `out`.
inline asio::awaitable<void> RunJoin(std::shared_ptr<JoinOutcome> out, PartnerLink* link,
                                     const identity::Invite* invite,
                                     std::vector<std::string> my_addresses) {
  auto result = co_await link->Join(*invite, std::move(my_addresses));
  out->emplace(std::move(result));
}

class PartnerLinkTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& node : nodes_) node->link.Stop();
    RunFor(50ms);  // Let the stopped links' coroutines finish.
    if (HasFailure()) {
      for (const auto& node : nodes_) {
        std::cerr << "---- log of the node listening on " << node->address << " ----\n"
                  << node->logs.str();
      }
    }
    nodes_.clear();
  }

  // Everything every node logged so far.
  std::string AllLogs() const {
    std::string all;
    for (const auto& node : nodes_) all += node->logs.str();
    return all + removed_logs_;
  }

  int64_t NowUnix() const { return clock_.NowUnixMs() / 1000; }

  Node& AddNode(LinkOptions options = FastOptions(), const core::Clock* clock = nullptr,
                std::optional<crypto::KeyPair> key = std::nullopt,
                const std::string& listen = "127.0.0.1:0") {
    nodes_.push_back(std::make_unique<Node>(io_,
                                            key ? std::move(*key) : crypto::KeyPair::Generate(),
                                            clock ? *clock : clock_, options));
    Status listening = nodes_.back()->link.Listen(listen);
    EXPECT_TRUE(listening.ok()) << listening.ToString();
    nodes_.back()->address = nodes_.back()->link.listen_address();
    return *nodes_.back();
  }

  // Destroys `node`'s link (as a daemon that exits) and lets its coroutines finish.
  void RemoveNode(Node& node) {
    node.link.Stop();
    RunFor(20ms);
    removed_logs_ += node.logs.str();
    std::erase_if(nodes_, [&](const auto& n) { return n.get() == &node; });
  }

  // Runs the io_context until `done` holds or `timeout` passes; returns `done()`.
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = SteadyClock::now() + timeout;
    while (!done()) {
      if (SteadyClock::now() >= deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_for(2ms);
    }
    return true;
  }
  void RunFor(std::chrono::milliseconds duration) {
    RunUntil([] { return false; }, duration);
  }

  // Opens an invite on `inviter`, valid for an hour, and returns the joiner's copy.
  identity::Invite OpenInvite(Node& inviter, int64_t lifetime_seconds = 3600) {
    identity::Invite invite;
    invite.inviter_key = inviter.key.public_key;
    invite.secret = crypto::SecretBytes::Random(identity::kInviteSecretSize);
    invite.addresses = {inviter.link.listen_address()};
    invite.expires_at_unix = NowUnix() + lifetime_seconds;
    inviter.link.SetInvite(
        PendingInvite{crypto::SecretBytes::CopyOf(invite.secret.span()), invite.expires_at_unix});
    return invite;
  }

  // Runs `joiner`'s Join to completion.
  Result<core::Partner> Join(Node& joiner, const identity::Invite& invite) {
    auto out = std::make_shared<JoinOutcome>();
    asio::co_spawn(io_, RunJoin(out, &joiner.link, &invite, {joiner.link.listen_address()}),
                   RethrowCoroutineException);
    EXPECT_TRUE(RunUntil([&] { return out->has_value(); }, 10s));
    if (!out->has_value()) return Unavailable("Join did not finish");
    return std::move(**out);
  }

  // Both links up on the same TCP connection, one confirmed session each.
  static bool Agree(const Node& a, const Node& b) {
    auto sa = a.link.live_session();
    auto sb = b.link.live_session();
    return sa && sb && sa->local_address == sb->remote_address &&
           sa->remote_address == sb->local_address && sa->initiator_key == sb->initiator_key &&
           a.link.session_count() == 1 && b.link.session_count() == 1 && a.listener.up &&
           b.listener.up;
  }

  // Pairs `joiner` with `inviter` through an invite and waits for the KK session.
  void Pair(Node& inviter, Node& joiner) {
    auto partner = Join(joiner, OpenInvite(inviter));
    ASSERT_TRUE(partner.ok()) << partner.status().ToString();
    ASSERT_TRUE(RunUntil([&] { return Agree(inviter, joiner); }));
  }

  // Sends `count` Deliver messages from `from` and waits until `to` has them all.
  void ExchangeMessages(Node& from, Node& to, int count) {
    const size_t before = to.listener.DeliveredCount();
    for (int i = 1; i <= count; ++i) {
      ASSERT_TRUE(from.link.SendToPartner(DeliverMessage(i, "message " + std::to_string(i))));
    }
    ASSERT_TRUE(RunUntil([&] { return to.listener.DeliveredCount() == before + count; }));
    for (int i = 0; i < count; ++i) {
      const auto& message = to.listener.messages[to.listener.messages.size() - count + i];
      ASSERT_TRUE(message.has_deliver());
      EXPECT_EQ(message.deliver().seq(), static_cast<uint64_t>(i + 1));
    }
  }

  std::string removed_logs_;
  core::SystemClock clock_;
  asio::io_context io_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

// A TCP client that sends whatever the test says and notices when the link hangs up.
// Its handlers hold the shared state, socket included, so they may outlive the client.
struct RawClient {
  struct State {
    explicit State(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::array<uint8_t, 4096> chunk{};
    size_t received = 0;
    bool closed = false;
  };

  explicit RawClient(asio::io_context& io) : state(std::make_shared<State>(io)) {}
  ~RawClient() {
    boost::system::error_code ec;
    state->socket.close(ec);
  }

  void Connect(const std::string& address) {
    auto parsed = ParseHostPort(address);
    ASSERT_TRUE(parsed.ok());
    state->socket.connect(tcp::endpoint(asio::ip::make_address(parsed->host), parsed->port));
    Read(state);
  }
  void Send(crypto::Bytes bytes) {
    auto buffer = std::make_shared<crypto::Bytes>(std::move(bytes));
    asio::async_write(state->socket, asio::buffer(*buffer),
                      [buffer, state = state](const boost::system::error_code&, size_t) {});
  }
  static void Read(std::shared_ptr<State> state) {
    state->socket.async_read_some(asio::buffer(state->chunk),
                                  [state](const boost::system::error_code& ec, size_t n) {
                                    if (ec) {
                                      state->closed = true;
                                      return;
                                    }
                                    state->received += n;
                                    Read(state);
                                  });
  }
  bool closed() const { return state->closed; }
  size_t received() const { return state->received; }

  std::shared_ptr<State> state;
};

inline crypto::Bytes Framed(const crypto::Bytes& body) {
  auto frame = wire::EncodeFrame(body);
  EXPECT_TRUE(frame.ok());
  return *frame;
}

inline crypto::Bytes RandomBytes(size_t size) {
  crypto::Bytes bytes(size);
  randombytes_buf(bytes.data(), bytes.size());
  return bytes;
}

// A partner scripted by the test: runs the KK initiator side by hand over a socket, so
// the test can send what a real link never would (garbage, silence, odd messages).
struct FakePartner {
  explicit FakePartner(asio::io_context& io) : socket(io), resolver(io) {}

  tcp::socket socket;
  tcp::resolver resolver;
  wire::FrameDecoder decoder;
  std::optional<noise::TransportKeys> keys;
  bool up = false;
  bool closed = false;
  int keepalives = 0;
  int received = 0;
  Status failure;
  HelloStamps stamps;  // Each dial's hello is newer than the last.
};

inline asio::awaitable<void> FakeDial(std::shared_ptr<FakePartner> fake, std::string address,
                                      const crypto::KeyPair* identity,
                                      crypto::PublicKey responder) {
  Status connected = co_await Connect(fake->socket, fake->resolver, address);
  if (!connected.ok()) {
    fake->failure = connected;
    co_return;
  }
  auto hello_keys = HelloKeys::Derive(*identity, responder);
  if (!hello_keys.ok()) {
    fake->failure = hello_keys.status();
    co_return;
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  auto initiation =
      StartSessionHandshake(*identity, responder, *hello_keys, fake->stamps.Next(now_ms));
  if (!initiation.ok()) {
    fake->failure = initiation.status();
    co_return;
  }
  Status sent = co_await WriteFrame(fake->socket, std::move(initiation->hello));
  auto message2 = co_await ReadFrame(fake->socket, fake->decoder);
  if (!sent.ok() || !message2.ok()) {
    fake->failure = sent.ok() ? message2.status() : sent;
    fake->closed = true;
    co_return;
  }
  auto keys = FinishSessionHandshake(initiation->state, *message2);
  if (!keys.ok()) {
    fake->failure = keys.status();
    co_return;
  }
  fake->keys = std::move(*keys);
  fake->up = true;
  // Reads and decrypts whatever the link sends until it hangs up.
  for (;;) {
    auto frame = co_await ReadFrame(fake->socket, fake->decoder);
    if (!frame.ok()) break;
    auto message = OpenPeerMessage(fake->keys->receive, *frame);
    if (!message.ok()) break;
    ++fake->received;
    if (message->has_keepalive()) ++fake->keepalives;
  }
  fake->closed = true;
}

inline void FakeSendRaw(FakePartner& fake, std::span<const uint8_t> plaintext) {
  auto ciphertext = fake.keys->send.EncryptWithAd({}, plaintext);
  ASSERT_TRUE(ciphertext.ok());
  asio::write(fake.socket, asio::buffer(Framed(*ciphertext)));
}

inline void FakeSend(FakePartner& fake, const PeerMessage& message) {
  auto ciphertext = SealPeerMessage(fake.keys->send, message);
  ASSERT_TRUE(ciphertext.ok());
  asio::write(fake.socket, asio::buffer(Framed(*ciphertext)));
}

}  // namespace inmost::peer::link_testing
