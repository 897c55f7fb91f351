// Client library and CLI tests against a real ControlServer in a temp directory.
// Needs inmost_daemon, inmost_cli (which brings inmost_client) and gtest; not yet
// wired into a CMake target (see the control API hand-over notes).
#include "inmost/client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <sstream>
#include <thread>

#include "cli/dispatch.h"
#include "cli/duration.h"
#include "cli/exit_code.h"
#include "cli/text_format.h"
#include "daemon/control/control_server.h"
#include "inmost/data_dir.h"
#include "tests/unit/control_server_fixture.h"

namespace inmost {
namespace {

namespace asio = boost::asio;
using control::Request;
using control::Response;

class FakeHandler : public control::RequestHandler {
 public:
  asio::awaitable<Response> Handle(const Request& request) override {
    Response response;
    if (request.has_status()) {
      response.mutable_status()->set_fingerprint("fp-test");
      response.mutable_status()->set_paired(true);
      response.mutable_status()->set_safety_number(std::string(60, '7'));
    } else if (request.has_send()) {
      last_text_ = request.send().text();
      response.mutable_send()->set_id(42);
    } else {
      response.mutable_error()->set_code(static_cast<uint32_t>(Code::kNotFound));
      response.mutable_error()->set_message("nothing here");
    }
    co_return response;
  }
  std::string last_text_;
};

class ClientTest : public test::ControlServerFixture {
 protected:
  control::RequestHandler& handler() override { return handler_; }

  // Runs the CLI with `args`, stdin `input`; returns the exit code.
  int Cli(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--socket", socket_path_});
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    return cli::RunCli(args, in, out_, err_);
  }

  FakeHandler handler_;
  std::ostringstream out_;
  std::ostringstream err_;
};

Request StatusRequest() {
  Request request;
  request.mutable_status();
  return request;
}

TEST_F(ClientTest, ConnectWithoutDaemonSaysHowToStartIt) {
  Result<Client> client = Client::Connect(socket_path_);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Code::kUnavailable);
  EXPECT_NE(client.status().message().find("not running"), std::string::npos);
  EXPECT_NE(client.status().message().find("inmostd run --data-dir " + dir_.path().string()),
            std::string::npos);
}

TEST_F(ClientTest, CallReturnsReplyOrDaemonError) {
  StartServer();
  Result<Client> client = Client::Connect(socket_path_);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  Result<Response> status = client->Call(StatusRequest());
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->status().fingerprint(), "fp-test");
  EXPECT_NE(status->id(), 0u);

  Request history;
  history.mutable_history();
  Result<Response> failed = client->Call(history);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Code::kNotFound);
  EXPECT_EQ(failed.status().message(), "nothing here");
  // Exchange hands the daemon's error back inside the Response.
  Result<Response> raw = client->Exchange(history);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->error().code(), static_cast<uint32_t>(Code::kNotFound));
}

TEST_F(ClientTest, EventsAfterSubscribe) {
  StartServer();
  Result<Client> client = Client::Connect(socket_path_);
  ASSERT_TRUE(client.ok());
  Request subscribe;
  subscribe.mutable_subscribe();
  ASSERT_TRUE(client->Call(subscribe).ok());
  EXPECT_EQ(client->NextEvent(0).status().code(), Code::kExpired);

  control::Event event;
  event.mutable_delivered()->set_id(7);
  Publish(event);
  Result<control::Event> received = client->NextEvent(5000);
  ASSERT_TRUE(received.ok()) << received.status().ToString();
  EXPECT_EQ(received->delivered().id(), 7u);

  // An event that arrives while a Call waits is kept for NextEvent.
  Publish(event);  // Queued for the client before the status request is even sent.
  ASSERT_TRUE(client->Call(StatusRequest()).ok());
  EXPECT_TRUE(client->has_buffered_event());
  EXPECT_TRUE(client->NextEvent(0).ok());
}

TEST_F(ClientTest, DaemonGoingAwayIsUnavailable) {
  StartServer();
  Result<Client> client = Client::Connect(socket_path_);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(WaitFor([this] { return server_->client_count() == 1; }));
  RunOnLoop([this] {
    server_->Stop();
    return true;
  });
  Result<control::Event> event = client->NextEvent(5000);
  EXPECT_EQ(event.status().code(), Code::kUnavailable);
}

TEST_F(ClientTest, RefusalOverTheClientLimitIsReported) {
  control::ControlLimits limits;
  limits.max_clients = 1;
  StartServer(limits);
  Result<Client> first = Client::Connect(socket_path_);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(WaitFor([this] { return server_->client_count() == 1; }));
  Result<Client> second = Client::Connect(socket_path_);
  ASSERT_TRUE(second.ok());  // The daemon accepts, then refuses in a line.
  Result<Response> reply = second->Call(StatusRequest());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kResourceExhausted);
  EXPECT_NE(reply.status().message().find("too many"), std::string::npos);
}

TEST_F(ClientTest, CliExitCodes) {
  EXPECT_EQ(Cli({"status"}), cli::kExitUnreachable);
  EXPECT_NE(err_.str().find("inmostd is not running"), std::string::npos);

  StartServer();
  EXPECT_EQ(Cli({"status"}), cli::kExitOk);
  EXPECT_NE(out_.str().find("fp-test"), std::string::npos);
  EXPECT_NE(out_.str().find("77777 77777 77777 77777\n"), std::string::npos);
  EXPECT_EQ(Cli({"history"}), cli::kExitDaemonError);
  EXPECT_NE(err_.str().find("nothing here"), std::string::npos);
  EXPECT_EQ(Cli({"bogus"}), cli::kExitUsage);
  EXPECT_EQ(Cli({"unpair"}), cli::kExitUsage);
  EXPECT_EQ(Cli({"history", "--limit", "0"}), cli::kExitUsage);
  EXPECT_EQ(Cli({}), cli::kExitUsage);
  EXPECT_EQ(Cli({"--help"}), cli::kExitOk);
  EXPECT_NE(out_.str().find("Exit codes"), std::string::npos);
  EXPECT_EQ(Cli({"send", "--help"}), cli::kExitOk);
}

TEST_F(ClientTest, CliSendAndJson) {
  StartServer();
  EXPECT_EQ(Cli({"send", "hello", "world"}), cli::kExitOk);
  EXPECT_EQ(RunOnLoop([this] { return handler_.last_text_; }), "hello world");
  EXPECT_EQ(Cli({"send", "-"}, "from stdin\n"), cli::kExitOk);
  EXPECT_EQ(RunOnLoop([this] { return handler_.last_text_; }), "from stdin");
  EXPECT_EQ(Cli({"--json", "send", "--", "-x"}), cli::kExitOk);
  EXPECT_EQ(out_.str(), "{\"id\":\"42\",\"sent_at_unix_ms\":\"0\"}\n");
  EXPECT_EQ(Cli({"send", "-"}, ""), cli::kExitUsage);
  EXPECT_EQ(Cli({"history", "--json"}), cli::kExitDaemonError);
  EXPECT_EQ(out_.str(),
            "{\"error\":{\"code\":2,\"code_name\":\"not_found\",\"message\":\"nothing here\"}}\n");
}

TEST(DataDir, DefaultFollowsTheEnvironment) {
  std::string saved_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("INMOST_DATA_DIR", "/d", 1);
  EXPECT_EQ(*DefaultDataDir(), "/d");
  ::setenv("INMOST_DATA_DIR", "", 1);
  ::setenv("XDG_DATA_HOME", "/x", 1);
  EXPECT_EQ(*DefaultDataDir(), "/x/inmost");
  ::setenv("XDG_DATA_HOME", "relative", 1);
  ::setenv("HOME", "/h", 1);
  EXPECT_EQ(*DefaultDataDir(), "/h/.local/share/inmost");
  ::unsetenv("HOME");
  ::unsetenv("XDG_DATA_HOME");
  ::unsetenv("INMOST_DATA_DIR");
  EXPECT_FALSE(DefaultDataDir().ok());
  if (!saved_home.empty()) ::setenv("HOME", saved_home.c_str(), 1);
  EXPECT_EQ(ControlSocketPath("/d"), "/d/control.sock");
}

TEST(CliDuration, Parses) {
  EXPECT_EQ(*cli::ParseDurationSeconds("90"), 90u);
  EXPECT_EQ(*cli::ParseDurationSeconds("30m"), 1800u);
  EXPECT_EQ(*cli::ParseDurationSeconds("24h"), 86400u);
  EXPECT_EQ(*cli::ParseDurationSeconds("7d"), 604800u);
  EXPECT_EQ(*cli::ParseDurationSeconds("1h30m"), 5400u);
  for (const char* bad : {"", "0", "0s", "h", "1x", "1h30", "-5m", "99999999999999999999"}) {
    EXPECT_FALSE(cli::ParseDurationSeconds(bad).ok()) << bad;
  }
}

TEST(CliTextFormat, PartnerTextCannotCommandTheTerminal) {
  EXPECT_EQ(cli::TerminalSafe("a\x1b[31mb\tc\nd\x7f"), "a?[31mb\tc\nd?");
  EXPECT_EQ(cli::TerminalSafe("x\xc2\x9b"
                              "2J"),
            "x?2J");  // C1 CSI.
  EXPECT_EQ(cli::TerminalSafe("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST(CliTextFormat, SafetyNumberInThreeLines) {
  std::string number;
  for (int i = 0; i < 12; ++i)
    number += (i ? " " : "") + std::string(5, static_cast<char>('0' + i % 10));
  std::vector<std::string> lines = cli::SafetyNumberLines(number);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "00000 11111 22222 33333");
  EXPECT_EQ(cli::SafetyNumberLines("short").size(), 1u);
}

}  // namespace
}  // namespace inmost
