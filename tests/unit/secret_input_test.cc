// Reading a secret from a descriptor (inmost/secret_input.h): where it ends, what it
// leaves unread for whoever reads next, and its limits.
#include "inmost/secret_input.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace inmost {
namespace {

// A pipe holding `input`, its write end closed unless `keep_open`.
class Pipe {
 public:
  explicit Pipe(const std::string& input, bool keep_open = false) {
    EXPECT_EQ(::pipe(fds_), 0);
    EXPECT_EQ(::write(fds_[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
    if (!keep_open) CloseWriteEnd();
  }
  ~Pipe() {
    ::close(fds_[0]);
    CloseWriteEnd();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  int read_end() const { return fds_[0]; }
  void CloseWriteEnd() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }
  // Everything still unread, up to the end of input.
  std::string Rest() {
    CloseWriteEnd();
    std::string rest;
    char buffer[256];
    for (ssize_t n; (n = ::read(fds_[0], buffer, sizeof buffer)) > 0;) rest.append(buffer, n);
    return rest;
  }

 private:
  int fds_[2] = {-1, -1};
};

TEST(SecretInput, ALineEndsAtItsNewlineAndNothingAfterIsRead) {
  Pipe pipe("correct horse\nthe rest of the input\n");
  auto line = ReadSecret(pipe.read_end(), 64, SecretEnd::kLine);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(line->view(), "correct horse");
  EXPECT_EQ(pipe.Rest(), "the rest of the input\n");
}

TEST(SecretInput, ALineReturnsWithoutWaitingForTheEndOfInput) {
  // The writer keeps its end open: a reader that read on would find nothing (EAGAIN)
  // where a blocking one would wait for ever.
  Pipe pipe("typed\r\n", /*keep_open=*/true);
  ASSERT_EQ(::fcntl(pipe.read_end(), F_SETFL, O_NONBLOCK), 0);
  auto line = ReadSecret(pipe.read_end(), 64, SecretEnd::kLine);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(line->view(), "typed");
}

TEST(SecretInput, TheEndOfInputEndsALineToo) {
  Pipe last("no newline");
  auto line = ReadSecret(last.read_end(), 64, SecretEnd::kLine);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->view(), "no newline");
  Pipe nothing("");
  line = ReadSecret(nothing.read_end(), 64, SecretEnd::kLine);
  ASSERT_TRUE(line.ok());
  EXPECT_TRUE(line->empty());
}

TEST(SecretInput, TheWholeInputKeepsEveryByte) {
  Pipe pipe("inmost1-abc\ndef\r\n ghi");
  auto all = ReadSecret(pipe.read_end(), 64, SecretEnd::kEndOfInput);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->view(), "inmost1-abc\ndef\r\n ghi");
}

TEST(SecretInput, TooLongIsRefused) {
  Pipe exact("12345678\n");
  auto fits = ReadSecret(exact.read_end(), 8, SecretEnd::kLine);
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(fits->view(), "12345678");
  Pipe over("123456789\n");
  auto refused = ReadSecret(over.read_end(), 8, SecretEnd::kLine);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), "longer than 8 bytes");
  Pipe whole("123456789");
  EXPECT_EQ(ReadSecret(whole.read_end(), 8, SecretEnd::kEndOfInput).status().code(),
            Code::kInvalidArgument);
}

TEST(SecretInput, AReadErrorIsAnIoError) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  // The write end cannot be read from.
  auto failed = ReadSecret(fds[1], 8, SecretEnd::kLine);
  ::close(fds[1]);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Code::kIoError);
}

TEST(SecretInput, BuffersCompareAndMove) {
  SecretBuffer a(4), b(4);
  for (uint8_t byte : {'a', 'b', 'c'}) {
    ASSERT_TRUE(a.Append(byte));
    ASSERT_TRUE(b.Append(byte));
  }
  EXPECT_TRUE(a.Equals(b));
  ASSERT_TRUE(b.Append('d'));
  EXPECT_FALSE(b.Append('e')) << "appended past the capacity";
  EXPECT_FALSE(a.Equals(b));
  b.PopBack();
  EXPECT_TRUE(a.Equals(b));
  SecretBuffer moved = std::move(a);
  EXPECT_EQ(moved.view(), "abc");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved from, it is empty.
}

}  // namespace
}  // namespace inmost
