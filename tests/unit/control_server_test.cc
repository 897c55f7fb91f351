// Runs a real ControlServer on its own io_context thread and talks to it through
// plain POSIX Unix-socket clients, the way the CLI and scripts do.
#include "daemon/control/control_server.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <thread>

#include "daemon/codec/control/control_frame.h"
#include "tests/unit/control_server_fixture.h"
#include "tests/unit/control_test_client.h"

namespace inmost::control {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using test::TestClient;

constexpr auto kDeadline = test::ControlServerFixture::kDeadline;

// Answers status and send; everything else is NotFound. Counts what it handled.
class FakeHandler : public RequestHandler {
 public:
  asio::awaitable<Response> Handle(const Request& request) override {
    ++handled_;
    Response response;
    if (request.has_status()) {
      response.mutable_status()->set_fingerprint("fp-test");
    } else if (request.has_send()) {
      response.mutable_send()->set_id(42);
    } else {
      response.mutable_error()->set_code(static_cast<uint32_t>(Code::kNotFound));
      response.mutable_error()->set_message("nothing here");
    }
    co_return response;
  }
  int handled_ = 0;
};

google::protobuf::Struct ParseJson(const std::string& line) {
  google::protobuf::Struct object;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &object).ok()) << line;
  return object;
}

double ErrorCodeOf(const google::protobuf::Struct& reply) {
  auto it = reply.fields().find("error");
  if (it == reply.fields().end()) return 0;
  return it->second.struct_value().fields().at("code").number_value();
}

class ControlServerTest : public test::ControlServerFixture {
 protected:
  control::RequestHandler& handler() override { return handler_; }

  FakeHandler handler_;
};

Request StatusRequestWithId(uint64_t id) {
  Request request;
  request.set_id(id);
  request.mutable_status();
  return request;
}

Event LinkUpEvent(const std::string& address) {
  Event event;
  event.set_at_unix_ms(1);
  event.mutable_link_up()->set_address(address);
  return event;
}

TEST_F(ControlServerTest, SocketIsPrivate) {
  StartServer();
  struct stat info {};
  ASSERT_EQ(::lstat(socket_path_.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(ControlServerTest, ProtobufRoundTrip) {
  StartServer();
  TestClient client(socket_path_);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.WriteRequest(StatusRequestWithId(5)));
  std::optional<ServerMessage> reply = client.ReadFrame();
  ASSERT_TRUE(reply);
  ASSERT_TRUE(reply->has_response());
  EXPECT_EQ(reply->response().id(), 5u);
  EXPECT_EQ(reply->response().status().fingerprint(), "fp-test");

  // Application errors arrive in Response.error, with the code's name filled in.
  Request history;
  history.set_id(6);
  history.mutable_history();
  ASSERT_TRUE(client.WriteRequest(history));
  reply = client.ReadFrame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->response().id(), 6u);
  EXPECT_EQ(reply->response().error().code(), static_cast<uint32_t>(Code::kNotFound));
  EXPECT_EQ(reply->response().error().code_name(), "not_found");
}

TEST_F(ControlServerTest, PipelinedProtobufRequestsAnsweredInOrder) {
  StartServer();
  TestClient client(socket_path_);
  std::string both =
      EncodeLengthPrefixed(StatusRequestWithId(1)) + EncodeLengthPrefixed(StatusRequestWithId(2));
  ASSERT_TRUE(client.Write(both));
  for (uint64_t id : {1u, 2u}) {
    std::optional<ServerMessage> reply = client.ReadFrame();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->response().id(), id);
  }
}

TEST_F(ControlServerTest, JsonRoundTrip) {
  StartServer();
  TestClient client(socket_path_);
  ASSERT_TRUE(client.Write(R"({"jsonrpc":"2.0","id":1,"method":"status"})"
                           "\n"));
  std::optional<std::string> line = client.ReadLine();
  ASSERT_TRUE(line);
  google::protobuf::Struct reply = ParseJson(*line);
  EXPECT_EQ(reply.fields().at("id").number_value(), 1);
  EXPECT_EQ(reply.fields().at("result").struct_value().fields().at("fingerprint").string_value(),
            "fp-test");

  // A notification is executed but not answered; the next reply is for id "b".
  ASSERT_TRUE(client.Write(R"({"jsonrpc":"2.0","method":"send","params":{"text":"x"}})"
                           "\n"
                           R"({"jsonrpc":"2.0","id":"b","method":"status"})"
                           "\r\n"));
  line = client.ReadLine();
  ASSERT_TRUE(line);
  EXPECT_EQ(ParseJson(*line).fields().at("id").string_value(), "b");
  EXPECT_EQ(RunOnLoop([this] { return handler_.handled_; }), 3);
}

TEST_F(ControlServerTest, JsonBatchIsAnsweredByOneArrayInOrder) {
  StartServer();
  TestClient client(socket_path_);
  // Requests, a notification, a non-request and an unknown method: one line back.
  ASSERT_TRUE(client.Write(R"([{"jsonrpc":"2.0","id":1,"method":"status"},)"
                           R"({"jsonrpc":"2.0","method":"send","params":{"text":"x"}},)"
                           R"(7,{"jsonrpc":"2.0","id":"b","method":"nope"},)"
                           R"({"jsonrpc":"2.0","id":2,"method":"status"}])"
                           "\n"));
  std::optional<std::string> line = client.ReadLine();
  ASSERT_TRUE(line);
  google::protobuf::Value batch;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*line, &batch).ok()) << *line;
  ASSERT_EQ(batch.kind_case(), google::protobuf::Value::kListValue) << *line;
  const auto& replies = batch.list_value().values();
  ASSERT_EQ(replies.size(), 4);
  EXPECT_EQ(replies[0].struct_value().fields().at("id").number_value(), 1);
  EXPECT_EQ(ErrorCodeOf(replies[1].struct_value()), -32600);
  EXPECT_EQ(replies[1].struct_value().fields().at("id").kind_case(),
            google::protobuf::Value::kNullValue);
  EXPECT_EQ(ErrorCodeOf(replies[2].struct_value()), -32601);
  EXPECT_EQ(replies[3].struct_value().fields().at("id").number_value(), 2);
  EXPECT_EQ(RunOnLoop([this] { return handler_.handled_; }), 3);

  // All notifications: no line at all; `[]`: one error object. The next reply shows
  // that nothing came in between.
  ASSERT_TRUE(client.Write(R"([{"jsonrpc":"2.0","method":"status"}])"
                           "\n[]\n"));
  line = client.ReadLine();
  ASSERT_TRUE(line);
  google::protobuf::Struct empty = ParseJson(*line);
  EXPECT_EQ(ErrorCodeOf(empty), -32600);
  ASSERT_TRUE(client.Write(R"({"jsonrpc":"2.0","id":"c","method":"status"})"
                           "\n"));
  line = client.ReadLine();
  ASSERT_TRUE(line);
  EXPECT_EQ(ParseJson(*line).fields().at("id").string_value(), "c");
  EXPECT_EQ(RunOnLoop([this] { return handler_.handled_; }), 5);
}

TEST_F(ControlServerTest, ProtobufSubscriberReceivesEvents) {
  StartServer();
  TestClient client(socket_path_);
  Request subscribe;
  subscribe.set_id(9);
  subscribe.mutable_subscribe();
  ASSERT_TRUE(client.WriteRequest(subscribe));
  std::optional<ServerMessage> reply = client.ReadFrame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->response().id(), 9u);
  EXPECT_TRUE(reply->response().has_subscribe());
  ASSERT_EQ(RunOnLoop([this] { return hub_.subscriber_count(); }), 1u);

  Publish(LinkUpEvent("10.0.0.1:7000"));
  std::optional<ServerMessage> event = client.ReadFrame();
  ASSERT_TRUE(event);
  ASSERT_TRUE(event->has_event());
  EXPECT_EQ(event->event().link_up().address(), "10.0.0.1:7000");

  // Requests still work on a subscribed connection.
  ASSERT_TRUE(client.WriteRequest(StatusRequestWithId(10)));
  reply = client.ReadFrame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->response().id(), 10u);

  // Leaving unsubscribes.
  client.Close();
  EXPECT_TRUE(WaitFor([this] { return hub_.subscriber_count() == 0; }));
  EXPECT_TRUE(WaitFor([this] { return server_->client_count() == 0; }));
}

TEST_F(ControlServerTest, JsonSubscriberReceivesEventNotifications) {
  StartServer();
  TestClient client(socket_path_);
  ASSERT_TRUE(client.Write(R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})"
                           "\n"));
  std::optional<std::string> line = client.ReadLine();
  ASSERT_TRUE(line);
  EXPECT_TRUE(ParseJson(*line).fields().at("result").has_struct_value());

  Publish(LinkUpEvent("peer:1"));
  line = client.ReadLine();
  ASSERT_TRUE(line);
  google::protobuf::Struct notification = ParseJson(*line);
  EXPECT_EQ(notification.fields().at("method").string_value(), "event");
  EXPECT_EQ(notification.fields().count("id"), 0u);
  EXPECT_EQ(notification.fields()
                .at("params")
                .struct_value()
                .fields()
                .at("link_up")
                .struct_value()
                .fields()
                .at("address")
                .string_value(),
            "peer:1");
}

// Choice documented in ControlSession: a line that is not JSON is answered with a
// parse error and skipped; the connection keeps serving.
TEST_F(ControlServerTest, GarbageLineIsAnsweredAndTheNextLineServed) {
  StartServer();
  TestClient client(socket_path_);
  ASSERT_TRUE(client.Write(" this is {not json\n"));
  std::optional<std::string> line = client.ReadLine();
  ASSERT_TRUE(line);
  google::protobuf::Struct reply = ParseJson(*line);
  EXPECT_EQ(ErrorCodeOf(reply), -32700);
  EXPECT_EQ(reply.fields().at("id").kind_case(), google::protobuf::Value::kNullValue);

  ASSERT_TRUE(client.Write(R"({"jsonrpc":"2.0","id":2,"method":"nope"})"
                           "\n"
                           R"({"jsonrpc":"2.0","id":3,"method":"status"})"
                           "\n"));
  line = client.ReadLine();
  ASSERT_TRUE(line);
  EXPECT_EQ(ErrorCodeOf(ParseJson(*line)), -32601);
  line = client.ReadLine();
  ASSERT_TRUE(line);
  EXPECT_EQ(ParseJson(*line).fields().at("id").number_value(), 3);
}

TEST_F(ControlServerTest, MalformedProtobufIsAnsweredAndTheStreamGoesOn) {
  StartServer();
  TestClient client(socket_path_);
  ASSERT_TRUE(client.Write(std::string("\0\0\0\3\xff\xff\xff", 7)));
  std::optional<ServerMessage> reply = client.ReadFrame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->response().error().code(), static_cast<uint32_t>(Code::kInvalidArgument));

  // A Request whose body this daemon does not know (a newer client's) is Unsupported.
  Request no_body;
  no_body.set_id(4);
  ASSERT_TRUE(client.WriteRequest(no_body));
  reply = client.ReadFrame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->response().id(), 4u);
  EXPECT_EQ(reply->response().error().code(), static_cast<uint32_t>(Code::kUnsupported));

  ASSERT_TRUE(client.WriteRequest(StatusRequestWithId(5)));
  reply = client.ReadFrame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->response().id(), 5u);
}

TEST_F(ControlServerTest, OversizeLengthPrefixIsAnsweredThenClosed) {
  StartServer();
  TestClient client(socket_path_);
  ASSERT_TRUE(client.Write(std::string("\x00\x20\x00\x00", 4)));  // 2 MiB > 1 MiB.
  std::optional<ServerMessage> reply = client.ReadFrame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->response().error().code(), static_cast<uint32_t>(Code::kResourceExhausted));
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ControlServerTest, OversizeJsonLineIsAnsweredThenClosed) {
  ControlLimits limits;
  limits.max_request_bytes = 1024;
  StartServer(limits);
  TestClient client(socket_path_);
  ASSERT_TRUE(client.Write("{\"jsonrpc\":\"2.0\",\"method\":\"send\",\"params\":{\"text\":\"" +
                           std::string(2000, 'a')));
  std::optional<std::string> line = client.ReadLine();
  ASSERT_TRUE(line);
  EXPECT_EQ(ErrorCodeOf(ParseJson(*line)), 1000 + static_cast<int>(Code::kResourceExhausted));
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ControlServerTest, UnknownEncodingIsAnsweredThenClosed) {
  StartServer();
  TestClient client(socket_path_);
  ASSERT_TRUE(client.Write("GET / HTTP/1.1\r\n\r\n"));
  std::optional<std::string> line = client.ReadLine();
  ASSERT_TRUE(line);
  EXPECT_EQ(ErrorCodeOf(ParseJson(*line)), -32700);
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ControlServerTest, HalfSentRequestDoesNotBlockOthersAndTimesOut) {
  ControlLimits limits;
  limits.partial_request_timeout = milliseconds(300);
  StartServer(limits);
  TestClient stalled(socket_path_);
  ASSERT_TRUE(stalled.Write(std::string("\x00\x00", 2)));  // Half a length prefix.
  TestClient idle(socket_path_);                           // Connected, sends nothing.

  TestClient other(socket_path_);
  ASSERT_TRUE(other.WriteRequest(StatusRequestWithId(1)));
  std::optional<ServerMessage> reply = other.ReadFrame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->response().status().fingerprint(), "fp-test");

  EXPECT_TRUE(stalled.WaitClosed());
  // A client with no partial request may stay idle for as long as it likes.
  EXPECT_TRUE(idle.StaysQuiet(milliseconds(900)));
  EXPECT_TRUE(WaitFor([this] { return server_->client_count() == 2; }));
}

TEST_F(ControlServerTest, ClientThatHalfClosesStillGetsItsReply) {
  StartServer();
  TestClient client(socket_path_);
  ASSERT_TRUE(client.Write(R"({"jsonrpc":"2.0","id":1,"method":"status"})"
                           "\n"));
  client.ShutdownWrite();
  std::optional<std::string> line = client.ReadLine();
  ASSERT_TRUE(line);
  EXPECT_EQ(ParseJson(*line).fields().at("id").number_value(), 1);
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ControlServerTest, ClientsOverTheLimitAreToldAndClosed) {
  ControlLimits limits;
  limits.max_clients = 2;
  StartServer(limits);
  TestClient first(socket_path_);
  TestClient second(socket_path_);
  ASSERT_TRUE(WaitFor([this] { return server_->client_count() == 2; }));
  TestClient third(socket_path_);
  std::optional<std::string> line = third.ReadLine();
  ASSERT_TRUE(line);
  google::protobuf::Struct reply = ParseJson(*line);
  EXPECT_EQ(reply.fields().at("jsonrpc").string_value(), "2.0");
  EXPECT_EQ(reply.fields().at("id").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(ErrorCodeOf(reply), 1000 + static_cast<int>(Code::kResourceExhausted));
  EXPECT_TRUE(third.WaitClosed());

  // Once a slot frees up, a new client is served.
  first.Close();
  ASSERT_TRUE(WaitFor([this] { return server_->client_count() == 1; }));
  TestClient fourth(socket_path_);
  ASSERT_TRUE(fourth.WriteRequest(StatusRequestWithId(1)));
  EXPECT_TRUE(fourth.ReadFrame());
}

TEST_F(ControlServerTest, StaleSocketIsReplacedButALiveOneIsNot) {
  {
    // A socket file nobody listens on, as a crashed daemon leaves behind.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path_.c_str(), sizeof address.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::close(fd);
  }
  StartServer();
  TestClient client(socket_path_);
  ASSERT_TRUE(client.WriteRequest(StatusRequestWithId(1)));
  EXPECT_TRUE(client.ReadFrame());

  ControlServer second(io_, socket_path_, handler_, hub_, clock_, logger_);
  EXPECT_EQ(second.Start().code(), Code::kAlreadyExists);
}

TEST_F(ControlServerTest, RefusesToReplaceAFileThatIsNotASocket) {
  { std::ofstream(socket_path_) << "precious"; }
  ControlServer server(io_, socket_path_, handler_, hub_, clock_, logger_);
  EXPECT_EQ(server.Start().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(std::filesystem::is_regular_file(socket_path_));
}

TEST_F(ControlServerTest, StopClosesClientsAndRemovesTheSocket) {
  StartServer();
  TestClient client(socket_path_);
  ASSERT_TRUE(WaitFor([this] { return server_->client_count() == 1; }));
  RunOnLoop([this] {
    server_->Stop();
    return true;
  });
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_FALSE(std::filesystem::exists(socket_path_));
  EXPECT_EQ(ClientCount(), 0u);
}

}  // namespace
}  // namespace inmost::control
