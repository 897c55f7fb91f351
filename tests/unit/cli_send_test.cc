// What `inmost send` says happened to a plain text or file (issue 20, item 5): "in the
// outbox" only when the link is down; over a live link, "delivered" once the partner's
// daemon confirmed it, else "on its way". Against a fake daemon that says whether the
// link is up and may announce the delivery.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include "tests/unit/cli_test_fixture.h"

namespace inmost {
namespace {

using control::Request;
using control::Response;

class SendHandler : public test::RecordingHandler {
 public:
  core::EventHub* hub = nullptr;
  bool link_up = false;
  // The id whose delivery the fake daemon announces as it answers the send (0: none).
  uint64_t delivered_id = 0;

 protected:
  Response Answer(const Request& request) override {
    Response response;
    if (request.has_status()) {
      response.mutable_status()->set_paired(true);
      response.mutable_status()->set_link_up(link_up);
    } else if (request.has_upload()) {  // `send --file` uploads the file first.
      response.mutable_upload()->set_upload_id("u1");
      response.mutable_upload()->set_chunk_bytes(1024);
    } else if (request.has_upload_chunk()) {
      response.mutable_upload_chunk()->set_complete(true);
    } else if (request.has_send()) {
      response.mutable_send()->set_id(7);
      if (delivered_id != 0) {
        // Published before the reply, as a fast partner's acknowledgement could be.
        control::Event event;
        event.mutable_delivered()->set_id(delivered_id);
        hub->Publish(event);
      }
    } else {
      response.mutable_error()->set_code(static_cast<uint32_t>(Code::kNotFound));
      response.mutable_error()->set_message("nothing here");
    }
    return response;
  }
};

class CliSend : public test::CliFixture {
 protected:
  test::RecordingHandler& handler() override { return handler_; }
  void SetUp() override {
    handler_.hub = &hub_;
    CliFixture::SetUp();
  }
  std::vector<Request::BodyCase> Asked() {
    return RunOnLoop([this] {
      std::vector<Request::BodyCase> asked;
      for (const Request& request : handler_.requests_) asked.push_back(request.body_case());
      return asked;
    });
  }

  SendHandler handler_;
};

TEST_F(CliSend, LinkDownSaysTheOutboxDeliversItLater) {
  ASSERT_EQ(Cli({"send", "hello"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "Message #7 is in the outbox; it is delivered as soon as your partner is "
            "reachable.\n");
  EXPECT_EQ(Asked(), (std::vector{Request::kStatus, Request::kSend}));
}

TEST_F(CliSend, LinkUpAndConfirmedSaysDelivered) {
  handler_.link_up = true;
  handler_.delivered_id = 7;
  ASSERT_EQ(Cli({"send", "hello"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "Message #7 is delivered.\n");
}

TEST_F(CliSend, LinkUpButNotConfirmedSaysOnItsWay) {
  handler_.link_up = true;
  handler_.delivered_id = 6;  // Another message's delivery is not this one's.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(Cli({"send", "hello"}), cli::kExitOk) << err_.str();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(out_.str(), "Message #7 is on its way; 'inmost history' shows when it is delivered.\n");
}

TEST_F(CliSend, FileOverALiveLinkPointsToTransfers) {
  handler_.link_up = true;
  std::string path = (dir_.path() / "a.txt").string();
  std::ofstream(path) << "a";
  ASSERT_EQ(Cli({"send", "--file", path}), cli::kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "File #7 a.txt (1 B) is on its way; 'inmost transfers' shows the progress.\n");
}

TEST_F(CliSend, JsonAndSealedTextsDoNotAskAboutTheLink) {
  handler_.link_up = true;
  ASSERT_EQ(Cli({"--json", "send", "hello"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "{\"id\":\"7\",\"sent_at_unix_ms\":\"0\"}\n");
  ASSERT_EQ(Cli({"send", "--gentle", "hello"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(Asked(), (std::vector{Request::kSend, Request::kSend}));
}

}  // namespace
}  // namespace inmost
