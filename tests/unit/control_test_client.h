// A blocking POSIX client of the control socket with deadline-bounded reads, the
// way the CLI and scripts talk to it; for tests of the control server only.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>

#include "daemon/codec/control/control_frame.h"
#include "tests/unit/control_server_fixture.h"

namespace inmost::test {

// A blocking POSIX client socket with deadline-bounded reads.
class TestClient {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kDeadline = ControlServerFixture::kDeadline;

  explicit TestClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~TestClient() { Close(); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  bool Write(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  bool WriteRequest(const control::Request& request) {
    return Write(control::EncodeLengthPrefixed(request));
  }

  // Reads exactly `size` bytes; nullopt on EOF, error or deadline.
  std::optional<std::string> ReadExactly(size_t size, Clock::time_point deadline) {
    std::string data;
    while (data.size() < size) {
      if (!WaitReadable(deadline)) return std::nullopt;
      char buffer[4096];
      ssize_t n = ::read(fd_, buffer, std::min(sizeof buffer, size - data.size()));
      if (n <= 0) return std::nullopt;
      data.append(buffer, static_cast<size_t>(n));
    }
    return data;
  }
  std::optional<std::string> ReadLine(Clock::time_point deadline = Clock::now() + kDeadline) {
    std::string line;
    while (true) {
      std::optional<std::string> c = ReadExactly(1, deadline);
      if (!c) return std::nullopt;
      if ((*c)[0] == '\n') return line;
      line += *c;
    }
  }
  std::optional<control::ServerMessage> ReadFrame(Clock::time_point deadline = Clock::now() +
                                                                               kDeadline) {
    std::optional<std::string> prefix = ReadExactly(control::kLengthPrefixBytes, deadline);
    if (!prefix) return std::nullopt;
    std::optional<std::string> body =
        ReadExactly(control::DecodeLengthPrefix(prefix->data()), deadline);
    if (!body) return std::nullopt;
    control::ServerMessage message;
    if (!message.ParseFromString(*body)) return std::nullopt;
    return message;
  }
  // True when the server closes the connection before the deadline (data is drained).
  bool WaitClosed(Clock::time_point deadline = Clock::now() + kDeadline) {
    while (WaitReadable(deadline)) {
      char buffer[4096];
      ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) return true;
    }
    return false;
  }
  // True when nothing at all (data or hangup) arrives for `quiet`.
  bool StaysQuiet(std::chrono::milliseconds quiet) {
    pollfd poll_fd{fd_, POLLIN, 0};
    return ::poll(&poll_fd, 1, static_cast<int>(quiet.count())) == 0;
  }

 private:
  bool WaitReadable(Clock::time_point deadline) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left < 0) return false;
    pollfd poll_fd{fd_, POLLIN, 0};
    return ::poll(&poll_fd, 1, static_cast<int>(left)) > 0;
  }

  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace inmost::test
