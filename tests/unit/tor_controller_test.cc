// Tests of TorController (daemon/tor/tor_controller.h) against a scripted control port
// in this process (fake_control_port.h): SAFECOOKIE, COOKIE and password authentication
// (a wrong server hash refused), GETINFO with data blocks, events between replies,
// ADD_ONION, and a port that sends garbage, huge lines, half a reply, or nothing.
#include "daemon/tor/tor_controller.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>

#include "daemon/codec/tor/control_text.h"
#include "daemon/codec/tor/onion_key.h"
#include "daemon/crypto/bytes.h"
#include "tests/unit/fake_control_port.h"

namespace inmost::tor {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::Answer;
using test::FakeControlPort;

constexpr auto kStepTimeout = 10s;
const std::string kServiceId = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndfpuqdabc";
const std::string kKeyBase64 =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";

template <typename T>
asio::awaitable<void> Store(asio::awaitable<T> task, std::optional<T>& out) {
  out.emplace(co_await std::move(task));
}

// Runs `task` on `io` until it finishes (the fake port and the read loop run meanwhile).
template <typename T>
T Await(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> out;
  asio::co_spawn(io, Store(std::move(task), out), peer::RethrowCoroutineException);
  io.restart();
  while (!out.has_value() && io.run_one_for(kStepTimeout) > 0) {
  }
  EXPECT_TRUE(out.has_value()) << "the coroutine did not finish";
  if (!out.has_value()) return T(Unavailable("the coroutine did not finish"));
  return std::move(*out);
}

// HMAC-SHA256 written out here, to check the controller's proofs independently.
std::string Hmac(std::string_view key, const crypto::Bytes& message) {
  crypto_auth_hmacsha256_state state;
  uint8_t out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const uint8_t*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, message.data(), message.size());
  crypto_auth_hmacsha256_final(&state, out);
  return crypto::ToHex(out);
}

// A Tor that knows a cookie: PROTOCOLINFO, AUTHCHALLENGE and AUTHENTICATE as Tor answers
// them; every other line goes to `other`.
struct FakeTor {
  std::string methods = "COOKIE,SAFECOOKIE";
  std::string cookie_path;
  crypto::Bytes cookie = crypto::Bytes(32, 0x42);
  crypto::Bytes server_nonce = crypto::Bytes(32, 0x17);
  bool wrong_server_hash = false;
  std::string password_argument;  // The password as AUTHENTICATE must carry it.
  std::string expected_authenticate;
  bool authenticated = false;
  std::function<Answer(const std::string&)> other = [](const std::string&) {
    return Answer{"510 Unrecognized command\r\n"};
  };

  Answer operator()(const std::string& line) {
    if (line == "PROTOCOLINFO 1") {
      return {"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=" + methods + " COOKIEFILE=" +
              Quote(cookie_path) + "\r\n250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n"};
    }
    const std::string challenge = "AUTHCHALLENGE SAFECOOKIE ";
    if (line.starts_with(challenge)) {
      auto client_nonce = crypto::FromHex(line.substr(challenge.size()));
      EXPECT_TRUE(client_nonce.ok() && client_nonce->size() == 32) << line;
      crypto::Bytes message = cookie;
      message.insert(message.end(), client_nonce->begin(), client_nonce->end());
      message.insert(message.end(), server_nonce.begin(), server_nonce.end());
      std::string server_hash =
          Hmac("Tor safe cookie authentication server-to-controller hash", message);
      if (wrong_server_hash) server_hash[0] = server_hash[0] == '0' ? '1' : '0';
      expected_authenticate =
          "AUTHENTICATE " +
          Hmac("Tor safe cookie authentication controller-to-server hash", message);
      return {"250 AUTHCHALLENGE SERVERHASH=" + server_hash +
              " SERVERNONCE=" + crypto::ToHex(server_nonce) + "\r\n"};
    }
    if (line.starts_with("AUTHENTICATE")) {
      if (methods == "COOKIE") expected_authenticate = "AUTHENTICATE " + crypto::ToHex(cookie);
      if (methods == "HASHEDPASSWORD") expected_authenticate = "AUTHENTICATE " + password_argument;
      authenticated = line == expected_authenticate;
      if (!authenticated) return {"515 Authentication failed: wrong value\r\n", true};
      return {"250 OK\r\n"};
    }
    return other(line);
  }
};

class TorControllerTest : public ::testing::Test {
 protected:
  // Starts the fake port with `fake` answering, its cookie written to a file.
  void Start(FakeControlPort::Transport transport = FakeControlPort::Transport::kTcp,
             ControlTimeouts timeouts = {2s, 2s}) {
    tor_.emplace(io_, clock_, timeouts);
    port_.emplace(
        io_, [this](const std::string& line) { return fake_(line); }, transport);
    fake_.cookie_path = (port_->dir() / "control_auth_cookie").string();
    std::ofstream(fake_.cookie_path, std::ios::binary)
        .write(reinterpret_cast<const char*>(fake_.cookie.data()), 32);
    ASSERT_TRUE(Await(io_, tor_->Connect(port_->address())).ok());
  }
  Status Authenticate(const AuthOptions& options = {}) {
    return Await(io_, tor_->Authenticate(options));
  }

  asio::io_context io_;
  core::SystemClock clock_;
  FakeTor fake_;
  std::optional<FakeControlPort> port_;
  std::optional<TorController> tor_;
};

TEST_F(TorControllerTest, SafeCookieOverTcp) {
  Start();
  const Status status = Authenticate();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(fake_.authenticated);
  ASSERT_EQ(port_->lines().size(), 3u);
  EXPECT_EQ(port_->lines()[1].substr(0, 25), "AUTHCHALLENGE SAFECOOKIE ");
  auto info = Await(io_, tor_->GetProtocolInfo());  // Kept: Tor answers it only once.
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->tor_version, "0.4.9.11");
  EXPECT_EQ(port_->lines().size(), 3u);
}

TEST_F(TorControllerTest, SafeCookieOverAUnixSocket) {
  Start(FakeControlPort::Transport::kUnix);
  const Status status = Authenticate({AuthMethod::kSafeCookie, nullptr, ""});
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(fake_.authenticated);
}

TEST_F(TorControllerTest, WrongServerHashIsRefusedBeforeAnyProofIsSent) {
  fake_.wrong_server_hash = true;
  Start();
  const Status status = Authenticate();
  EXPECT_EQ(status.code(), Code::kAuthenticationFailed);
  EXPECT_NE(status.message().find("does not know the cookie in " + fake_.cookie_path),
            std::string::npos)
      << status.message();
  EXPECT_EQ(port_->lines().size(), 2u);  // No AUTHENTICATE went out.
  EXPECT_FALSE(tor_->open());
}

TEST_F(TorControllerTest, CookieAuthenticationSendsTheCookieInHex) {
  fake_.methods = "COOKIE";
  Start();
  const Status status = Authenticate();
  ASSERT_TRUE(status.ok()) << status.ToString();
  std::string cookie_hex;
  for (int i = 0; i < 32; ++i) cookie_hex += "42";  // The fake's cookie: 32 bytes of 0x42.
  EXPECT_EQ(port_->lines().back(), "AUTHENTICATE " + cookie_hex);
}

TEST_F(TorControllerTest, PasswordGoesInHex) {
  fake_.methods = "HASHEDPASSWORD";
  // Hex, which tor reads whatever the bytes: it does not read octal escapes in quotes.
  fake_.password_argument = crypto::ToHex(crypto::AsBytes("p\"a\\ss\nw\xc3\xa9"));
  Start();
  const auto password = crypto::SecretBytes::CopyOf(crypto::AsBytes("p\"a\\ss\nw\xc3\xa9"));
  Status status = Authenticate({AuthMethod::kAuto, &password, ""});
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(port_->lines().back(), "AUTHENTICATE 7022615c73730a77c3a9");
}

TEST_F(TorControllerTest, WrongPasswordIsAuthenticationFailed) {
  fake_.methods = "HASHEDPASSWORD";
  fake_.password_argument = crypto::ToHex(crypto::AsBytes("right"));
  Start();
  const auto password = crypto::SecretBytes::CopyOf(crypto::AsBytes("wrong"));
  Status status = Authenticate({AuthMethod::kPassword, &password, ""});
  EXPECT_EQ(status.code(), Code::kAuthenticationFailed);
  EXPECT_EQ(status.message(), "tor refused AUTHENTICATE: Authentication failed: wrong value (515)");
  EXPECT_EQ(status.message().find("77726f6e67"), std::string::npos);  // "wrong" in hex.
}

TEST_F(TorControllerTest, AMethodTorDoesNotOfferIsUnsupported) {
  fake_.methods = "SAFECOOKIE";
  Start();
  const Status status = Authenticate({AuthMethod::kCookie, nullptr, ""});
  EXPECT_EQ(status.code(), Code::kUnsupported);
  EXPECT_EQ(status.message(),
            "tor's control port does not offer COOKIE authentication (it offers SAFECOOKIE)");
}

TEST_F(TorControllerTest, GarbageClosesTheConnectionWithAClearError) {
  fake_.other = [](const std::string&) { return Answer{"hello, I am not tor\r\n"}; };
  Start();
  auto info = Await(io_, tor_->GetInfo({"version"}));
  EXPECT_EQ(info.status().code(), Code::kCorruption);
  EXPECT_NE(info.status().message().find("not a control-protocol reply"), std::string::npos);
  EXPECT_FALSE(tor_->open());
  // Later commands fail the same way at once.
  auto again = Await(io_, tor_->GetInfo({"version"}));
  EXPECT_EQ(again.status().message(), info.status().message());
}

TEST_F(TorControllerTest, ConnectionClosedInTheMiddleOfAReply) {
  fake_.other = [](const std::string&) { return Answer{"250-version=0.4.9.11\r\n250-x", true}; };
  Start();
  auto info = Await(io_, tor_->GetInfo({"version"}));
  EXPECT_EQ(info.status().code(), Code::kUnavailable);
  EXPECT_EQ(info.status().message(), "tor closed its control connection in the middle of a reply");
}

TEST_F(TorControllerTest, AHugeLineIsRefused) {
  fake_.other = [](const std::string&) {
    return Answer{"250-version=" + std::string(100'000, 'v') + "\r\n250 OK\r\n"};
  };
  Start();
  auto info = Await(io_, tor_->GetInfo({"version"}));
  EXPECT_EQ(info.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(info.status().message(), "tor's control port sent a line longer than 16384 bytes");
  EXPECT_FALSE(tor_->open());
}

TEST_F(TorControllerTest, MultiLineDataBlocks) {
  fake_.other = [](const std::string& line) {
    EXPECT_EQ(line, "GETINFO config-text version");
    return Answer{
        "250+config-text=\r\nSocksPort 9050\r\n..starts with a dot\r\n.\r\n"
        "250-version=0.4.9.11\r\n250 OK\r\n"};
  };
  Start();
  auto info = Await(io_, tor_->GetInfo({"config-text", "version"}));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ((*info)["config-text"], "SocksPort 9050\n.starts with a dot");
  EXPECT_EQ((*info)["version"], "0.4.9.11");
}

TEST_F(TorControllerTest, EventsInterleavedWithReplies) {
  const std::string uploaded = "650 HS_DESC UPLOADED " + kServiceId + " UNKNOWN $AA~r1\r\n";
  fake_.other = [&](const std::string& line) {
    if (line == "SETEVENTS HS_DESC STATUS_CLIENT") return Answer{uploaded + "250 OK\r\n"};
    return Answer{
        "650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\"\r\n"
        "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=80 TAG=ap_conn "
        "SUMMARY=\"Connecting\"\r\n250 OK\r\n" +
        uploaded};
  };
  Start();
  ASSERT_TRUE(Await(io_, tor_->SetEvents({"HS_DESC", "STATUS_CLIENT"})).ok());
  auto phase = Await(io_, tor_->GetBootstrapPhase());
  ASSERT_TRUE(phase.ok()) << phase.status().ToString();
  EXPECT_EQ(phase->progress, 80);
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    auto event = Await(io_, tor_->NextEvent(2s));
    ASSERT_TRUE(event.ok() && event->has_value()) << i;
    names.push_back(EventName(**event));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"HS_DESC", "STATUS_CLIENT", "HS_DESC"}));
  auto none = Await(io_, tor_->NextEvent(50ms));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(TorControllerTest, NoReplyTimesOutAndCloses) {
  fake_.other = [](const std::string&) { return Answer{}; };
  Start(FakeControlPort::Transport::kTcp, {2s, 200ms});
  const auto started = std::chrono::steady_clock::now();
  auto info = Await(io_, tor_->GetInfo({"version"}));
  EXPECT_EQ(info.status().code(), Code::kUnavailable);
  EXPECT_EQ(info.status().message(), "tor did not answer GETINFO within 200 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_FALSE(tor_->open());
}

TEST_F(TorControllerTest, AReplyNobodyAskedForIsCorruption) {
  fake_.other = [](const std::string&) { return Answer{"250 OK\r\n250 OK\r\n"}; };
  Start();
  EXPECT_TRUE(Await(io_, tor_->Signal("NEWNYM")).ok());
  auto event = Await(io_, tor_->NextEvent(2s));
  EXPECT_EQ(event.status().message(), "tor's control port sent a reply that no command asked for");
}

TEST_F(TorControllerTest, AddOnionNewKeyThenTheSameKeyWithoutDetach) {
  fake_.other = [&](const std::string& line) {
    if (line.starts_with("ADD_ONION NEW:")) {
      return Answer{"250-ServiceID=" + kServiceId + "\r\n250-PrivateKey=ED25519-V3:" + kKeyBase64 +
                    "\r\n250 OK\r\n"};
    }
    return Answer{"250-ServiceID=" + kServiceId + "\r\n250 OK\r\n"};
  };
  Start();
  AddOnionRequest request;
  request.ports = {{7433, "127.0.0.1:17433"}, {80, ""}};
  auto made = Await(io_, tor_->AddOnion(request));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->service_id, kServiceId);
  ASSERT_EQ(made->private_key.size(), kOnionKeyBytes);
  EXPECT_EQ(port_->lines().back(), "ADD_ONION NEW:ED25519-V3 Port=7433,127.0.0.1:17433 Port=80");

  request.key = &made->private_key;
  auto again = Await(io_, tor_->AddOnion(request));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->service_id, kServiceId);
  EXPECT_TRUE(again->private_key.empty());
  EXPECT_EQ(port_->lines().back(),
            "ADD_ONION ED25519-V3:" + kKeyBase64 + " Port=7433,127.0.0.1:17433 Port=80");
  for (const std::string& line : port_->lines()) EXPECT_EQ(line.find("Detach"), std::string::npos);

  request.key = nullptr;
  request.return_new_key = false;
  ASSERT_TRUE(Await(io_, tor_->AddOnion(request)).ok());
  EXPECT_EQ(port_->lines().back(),
            "ADD_ONION NEW:ED25519-V3 Flags=DiscardPK Port=7433,127.0.0.1:17433 Port=80");
  ASSERT_TRUE(Await(io_, tor_->DelOnion(kServiceId)).ok());
  EXPECT_EQ(port_->lines().back(), "DEL_ONION " + kServiceId);
}

TEST_F(TorControllerTest, AddOnionWithClientKeysSendsOneClientAuthV3EachAndReadsTheirEcho) {
  // Tor echoes each ClientAuthV3 in its reply (control-spec 3.27): not a ServiceID.
  const std::string client = "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPQ";
  fake_.other = [&](const std::string&) {
    return Answer{"250-ServiceID=" + kServiceId + "\r\n250-PrivateKey=ED25519-V3:" + kKeyBase64 +
                  "\r\n250-ClientAuthV3=" + client + "\r\n250 OK\r\n"};
  };
  Start();
  AddOnionRequest request;
  request.ports = {{80, "127.0.0.1:8080"}};
  request.client_auth_v3 = {client};
  auto made = Await(io_, tor_->AddOnion(request));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->service_id, kServiceId);
  EXPECT_EQ(port_->lines().back(),
            "ADD_ONION NEW:ED25519-V3 Flags=V3Auth Port=80,127.0.0.1:8080 ClientAuthV3=" + client);
}

TEST_F(TorControllerTest, ArgumentsThatCouldSmuggleACommandAreRefused) {
  Start();
  EXPECT_EQ(Await(io_, tor_->GetInfo({"version\r\nSIGNAL HALT"})).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Await(io_, tor_->Signal("HALT\r\n")).code(), Code::kInvalidArgument);
  EXPECT_EQ(Await(io_, tor_->DelOnion("x")).code(), Code::kInvalidArgument);
  AddOnionRequest request;
  request.ports = {{80, "127.0.0.1:1 Flags=Detach"}};
  EXPECT_EQ(Await(io_, tor_->AddOnion(request)).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(port_->lines().empty());
}

TEST(TorControllerConnect, SaysWhenNothingListens) {
  asio::io_context io;
  inmost::test::TempDir dir;
  core::SystemClock clock;
  TorController tor(io, clock, ControlTimeouts{2s, 2s});
  const std::string path = (dir.path() / "no-such-socket").string();
  const Status status = Await(io, tor.Connect("unix:" + path));
  EXPECT_EQ(status.code(), Code::kUnavailable);
  EXPECT_NE(status.message().find("cannot connect to tor's control port at " + path),
            std::string::npos);
  EXPECT_NE(status.message().find("is tor running there?"), std::string::npos);
  TorController bad(io, clock);
  EXPECT_EQ(Await(io, bad.Connect("no port")).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace inmost::tor
