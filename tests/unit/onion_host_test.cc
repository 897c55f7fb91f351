// Tests of OnionHost (daemon/tor/onion_host.h) against a scripted control port in this
// process (fake_control_port.h) with tor = system: the state and detail `inmost status`
// shows when the control port is dead (said once, and cleared while trying again), and
// when the onion key in the store is damaged (no service, no new key, Tor kept for
// dialling out). No tor is started: tor = system never launches one.
#include "daemon/tor/onion_host.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/fake_control_port.h"

namespace inmost::tor {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Phase = TorState::Phase;
using test::Answer;
using test::FakeControlPort;

constexpr auto kStepTimeout = 10s;
constexpr int64_t kStartUnixMs = 1'800'000'000'000;

// A vault whose record is damaged: Load fails as the store says, Save must not be asked.
class DamagedVault final : public OnionKeyVault {
 public:
  Result<std::optional<crypto::SecretBytes>> Load() override {
    return Corruption(
        "stored record 'tor/onion_service_key' fails authentication: the store is damaged or "
        "was tampered with");
  }
  Status Save(const crypto::SecretBytes&) override {
    ++saves;
    return Status::Ok();
  }
  int saves = 0;
};

// A Tor that lets anyone in (NULL authentication), has a SOCKS port and is bootstrapped.
Answer BootstrappedTor(const std::string& line) {
  if (line == "PROTOCOLINFO 1") {
    return {
        "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250-VERSION Tor=\"0.4.9.11\"\r\n"
        "250 OK\r\n"};
  }
  if (line.starts_with("AUTHENTICATE") || line.starts_with("SETEVENTS")) return {"250 OK\r\n"};
  if (line == "GETINFO net/listeners/socks") {
    return {"250-net/listeners/socks=\"127.0.0.1:9050\"\r\n250 OK\r\n"};
  }
  if (line == "GETINFO status/bootstrap-phase") {
    return {
        "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\""
        "\r\n250 OK\r\n"};
  }
  return {"510 Unrecognized command\r\n"};
}

class OnionHostTest : public ::testing::Test {
 protected:
  void StartHost(const std::string& control) {
    TorOptions options;
    options.mode = TorMode::kSystem;
    options.control = control;
    host_.emplace(io_, clock_, logger_, options, "/nonexistent/tor", vault_,
                  [this](const TorState& state) { seen_.push_back(state); });
    host_->Start(7433, "127.0.0.1:7433");
  }
  // Runs the io_context until `done` holds (or nothing is left to run).
  template <typename Done>
  void RunUntil(Done done) {
    io_.restart();
    while (!done() && io_.run_one_for(kStepTimeout) > 0) {
    }
    ASSERT_TRUE(done()) << "the host did not get there";
  }
  bool Saw(Phase phase) const {
    for (const TorState& state : seen_) {
      if (state.phase == phase) return true;
    }
    return false;
  }

  asio::io_context io_;
  core::ManualClock clock_{kStartUnixMs};
  std::ostringstream log_;
  log::Logger logger_{log_};
  DamagedVault vault_;
  std::vector<TorState> seen_;
  std::optional<OnionHost> host_;  // Destroyed first.
};

// The port of a listener closed at once: nothing answers there.
std::string DeadPort() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
}

TEST_F(OnionHostTest, ADeadControlPortIsSaidOnceAndItsDetailGoesWhileTryingAgain) {
  const std::string address = DeadPort();
  StartHost(address);
  RunUntil([&] { return host_->state().phase == Phase::kFailed; });
  // Read once: the connect error names the control port, nothing wraps it again.
  const std::string why = "cannot connect to tor's control port at " + address +
                          ": Connection refused (is tor running there?)";
  EXPECT_EQ(host_->state().detail, why);
  EXPECT_EQ(log_.str().find("cannot reach"), std::string::npos) << log_.str();

  // The retry (backoff from 1 s, with jitter): while it starts, no old failure shows.
  seen_.clear();
  clock_.Advance(5s);
  RunUntil([&] { return Saw(Phase::kStarting) && host_->state().phase == Phase::kFailed; });
  ASSERT_EQ(seen_.front().phase, Phase::kStarting);
  EXPECT_EQ(seen_.front().detail, "");
  EXPECT_EQ(host_->state().detail, why);
}

TEST_F(OnionHostTest, ADamagedKeyPublishesNoServiceMakesNoNewKeyAndKeepsTor) {
  FakeControlPort port(io_, &BootstrappedTor);
  StartHost(port.address());
  RunUntil([&] { return host_->state().phase == Phase::kFailed; });
  const TorState state = host_->state();
  EXPECT_EQ(state.detail,
            "the onion service's key in the store is damaged (stored record "
            "'tor/onion_service_key' fails authentication: the store is damaged or was "
            "tampered with): no onion service, so your partner cannot reach this daemon through "
            "Tor (direct addresses still work). No new key is made, as it would change the "
            ".onion address your partner knows: restore a backup of this data directory "
            "(inmostd restore) to get the key back");
  EXPECT_EQ(state.onion_address, "");
  EXPECT_FALSE(state.published);
  EXPECT_EQ(state.source, "system");
  EXPECT_EQ(state.progress, 100);
  // Tor still carries dials to the partner's onion.
  EXPECT_EQ(state.socks, "127.0.0.1:9050");
  // No service was asked for, under a new key or any other.
  for (const std::string& line : port.lines()) {
    EXPECT_FALSE(line.starts_with("ADD_ONION")) << line;
  }
  EXPECT_EQ(vault_.saves, 0);
  // The log says it once, as a warning, and holds no key.
  const std::string log = log_.str();
  EXPECT_NE(log.find("WARN tor: the onion service's key in the store is damaged"),
            std::string::npos)
      << log;
  // The host stays on the connection, failed for that reason: no retry starts.
  clock_.Advance(120s);
  io_.restart();
  io_.poll();
  EXPECT_EQ(host_->state().phase, Phase::kFailed);
  EXPECT_EQ(host_->state().detail, state.detail);
}

}  // namespace
}  // namespace inmost::tor
