// The CLI's secrets on standard input: `inmost join -` takes the whole input as the
// invite code and `inmost backup` one line as the passphrase, each within a limit
// that is checked before anything reaches the daemon.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/cli_test_fixture.h"

namespace inmost {
namespace {

using control::Request;
using control::Response;

class SecretsHandler : public test::RecordingHandler {
 protected:
  Response Answer(const Request& request) override {
    Response response;
    if (request.has_join()) response.mutable_join()->set_partner_fingerprint("ab12");
    if (request.has_backup()) response.mutable_backup()->set_path(request.backup().path());
    return response;
  }
};

class CliSecretInput : public test::CliFixture {
 protected:
  test::RecordingHandler& handler() override { return handler_; }

  // Runs a command with `input` that must fail with a usage error naming
  // `message_part` before it asks the daemon anything.
  void ExpectRefusedInput(std::vector<std::string> args, const std::string& input,
                          const std::string& message_part) {
    size_t before = RequestCount();
    EXPECT_EQ(Cli(args, input), cli::kExitUsage);
    EXPECT_NE(err_.str().find(message_part), std::string::npos) << err_.str();
    EXPECT_EQ(RequestCount(), before) << "reached the daemon";
  }

  SecretsHandler handler_;
};

TEST_F(CliSecretInput, JoinReadsTheWholeCodeFromStdin) {
  ASSERT_EQ(Cli({"join", "-"}, "inmost1-abc\r\ndef ghi\n"), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().join().code(), "inmost1-abc\r\ndef ghi\n");
  EXPECT_NE(out_.str().find("Paired with ab12."), std::string::npos) << out_.str();
  ASSERT_EQ(Cli({"join", "inmost1-abc", "def"}), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().join().code(), "inmost1-abc def");

  const std::string longest(8192, 'a');
  ASSERT_EQ(Cli({"join", "-"}, longest), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().join().code(), longest);
  ExpectRefusedInput({"join", "-"}, longest + "\n", "the code on standard input: longer than 8192");
}

TEST_F(CliSecretInput, BackupTakesOneLineWithinTheLimit) {
  const std::string longest(4096, 'p');
  ASSERT_EQ(Cli({"backup", "/tmp/a"}, longest + "\nmore"), cli::kExitOk) << err_.str();
  EXPECT_EQ(LastRequest().backup().passphrase(), longest);
  ExpectRefusedInput({"backup", "/tmp/b"}, longest + "p\n", "the passphrase: longer than 4096");
  ExpectRefusedInput({"backup", "/tmp/c"}, "\nsecond line\n", "no passphrase given");
}

}  // namespace
}  // namespace inmost
