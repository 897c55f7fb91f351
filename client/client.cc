#include "inmost/client.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <utility>

namespace inmost {
namespace {

constexpr size_t kLengthPrefixBytes = 4;
// Far above any reply the daemon sends; a bigger prefix means a broken stream.
constexpr uint32_t kMaxServerMessageBytes = 64u << 20;
// The daemon's one-line JSON refusal (too many clients) is short.
constexpr size_t kMaxRefusalLineBytes = 4096;
// JSON-RPC reports inmost error codes as this plus the code.
constexpr double kJsonRpcApplicationErrorBase = 1000;

std::string ErrnoText(int error) {
  return std::strerror(error);
}

Status ConnectionLost(const std::string& what) {
  return Unavailable("lost the connection to inmostd (" + what + ")");
}

// Writes all of `data`; MSG_NOSIGNAL turns a closed peer into EPIPE, not SIGPIPE.
// The daemon's error reply as a Status.
Status ErrorStatus(const control::Error& error) {
  Code code = static_cast<Code>(error.code());
  // An error without a code would read as success; never let that happen.
  if (code == Code::kOk) code = Code::kUnavailable;
  return Status(code, error.message());
}

Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ConnectionLost(ErrnoText(errno));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status ReadExactly(int fd, char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ConnectionLost(ErrnoText(errno));
    }
    if (n == 0) return Unavailable("inmostd closed the connection");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

// Turns the daemon's JSON refusal line into the Status it reports.
Status StatusFromRefusalLine(const std::string& line) {
  google::protobuf::Struct reply;
  if (!google::protobuf::util::JsonStringToMessage(line, &reply).ok()) {
    return Corruption("inmostd sent an unreadable reply");
  }
  auto error_it = reply.fields().find("error");
  if (error_it == reply.fields().end() || !error_it->second.has_struct_value()) {
    return Corruption("inmostd sent an unexpected JSON reply");
  }
  const auto& error = error_it->second.struct_value().fields();
  Code code = Code::kUnavailable;
  if (auto it = error.find("code"); it != error.end()) {
    double number = it->second.number_value();
    if (number > kJsonRpcApplicationErrorBase) {
      code = static_cast<Code>(static_cast<int>(number - kJsonRpcApplicationErrorBase));
    }
  }
  std::string message = "inmostd refused the connection";
  if (auto it = error.find("message"); it != error.end() && !it->second.string_value().empty()) {
    message = "inmostd refused the connection: " + it->second.string_value();
  }
  return Status(code, message);
}

std::string Frame(const control::Request& request) {
  std::string body = request.SerializeAsString();
  auto size = static_cast<uint32_t>(body.size());
  std::string frame{static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                    static_cast<char>(size >> 8), static_cast<char>(size)};
  return frame + body;
}

// True when `fd` has input (or a hangup) within `timeout_ms` (-1: no limit).
Result<bool> WaitReadable(int fd, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int wait_ms = -1;
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      wait_ms = left.count() > 0 ? static_cast<int>(left.count()) : 0;
    }
    pollfd poll_fd{fd, POLLIN, 0};
    int n = ::poll(&poll_fd, 1, wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ConnectionLost(ErrnoText(errno));
    }
    return n > 0;
  }
}

}  // namespace

Result<Client> Client::Connect(const std::string& socket_path) {
  std::string data_dir = std::filesystem::path(socket_path).parent_path().string();
  if (data_dir.empty()) data_dir = ".";
  const std::string how_to_start = "start it with: inmostd run --data-dir " + data_dir;

  sockaddr_un address{};
  if (socket_path.size() >= sizeof address.sun_path) {
    return InvalidArgument("the control socket path " + socket_path + " is too long (" +
                           std::to_string(socket_path.size()) + " bytes, at most " +
                           std::to_string(sizeof address.sun_path - 1) + ")");
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError("cannot create a socket: " + ErrnoText(errno));
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int error = errno;
    ::close(fd);
    switch (error) {
      case ENOENT:
        return Unavailable("inmostd is not running (no socket at " + socket_path + "); " +
                           how_to_start);
      case ECONNREFUSED:
        return Unavailable("inmostd is not running (stale socket at " + socket_path + "); " +
                           how_to_start);
      case EACCES:
      case EPERM:
        return PermissionDenied("cannot connect to " + socket_path +
                                ": permission denied (is the daemon run by another user?)");
      case ENOTDIR:
        return Unavailable("inmostd is not running (" + data_dir + " is not a directory); " +
                           how_to_start);
      default:
        return Unavailable("cannot connect to inmostd at " + socket_path + ": " + ErrnoText(error));
    }
  }
  return Client(fd);
}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      next_request_id_(other.next_request_id_),
      buffered_events_(std::move(other.buffered_events_)) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    next_request_id_ = other.next_request_id_;
    buffered_events_ = std::move(other.buffered_events_);
  }
  return *this;
}

Client::~Client() {
  Close();
}

void Client::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<control::Response> Client::Call(const control::Request& request) {
  INMOST_ASSIGN_OR_RETURN(control::Response response, Exchange(request));
  if (response.has_error()) return ErrorStatus(response.error());
  return response;
}

Result<uint64_t> Client::Post(const control::Request& request) {
  if (fd_ < 0) return Unavailable("not connected to inmostd");
  control::Request numbered = request;
  if (numbered.id() == 0) numbered.set_id(next_request_id_++);

  Status sent = WriteAll(fd_, Frame(numbered));
  if (!sent.ok()) {
    // The daemon may have refused us (a line, or an error reply to a request over its
    // size limit) before closing mid-write; that says more than a broken pipe.
    Result<bool> readable = WaitReadable(fd_, 0);
    if (readable.ok() && *readable) {
      INMOST_ASSIGN_OR_RETURN(control::ServerMessage refusal, ReadServerMessage());
      if (refusal.has_response() && refusal.response().has_error()) {
        Close();
        refusal_ = std::move(*refusal.mutable_response());
        refusal_->set_id(numbered.id());
        return numbered.id();
      }
    }
    Close();
    return sent;
  }
  return numbered.id();
}

Result<control::Response> Client::ReadResponse() {
  if (refusal_) {
    control::Response refusal = std::move(*refusal_);
    refusal_.reset();
    return refusal;
  }
  while (true) {
    INMOST_ASSIGN_OR_RETURN(control::ServerMessage message, ReadServerMessage());
    if (message.has_event()) {
      buffered_events_.push_back(std::move(*message.mutable_event()));
      continue;
    }
    if (message.has_response()) return std::move(*message.mutable_response());
  }
}

Result<control::Response> Client::Exchange(const control::Request& request) {
  INMOST_ASSIGN_OR_RETURN(uint64_t id, Post(request));
  while (true) {
    INMOST_ASSIGN_OR_RETURN(control::Response response, ReadResponse());
    // Responses arrive in request order; one for another id cannot be ours.
    if (response.id() == id) return response;
  }
}

Result<control::Event> Client::NextEvent(int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (!buffered_events_.empty()) {
      control::Event event = std::move(buffered_events_.front());
      buffered_events_.pop_front();
      return event;
    }
    if (fd_ < 0) return Unavailable("not connected to inmostd");
    int wait_ms = -1;
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      wait_ms = left.count() > 0 ? static_cast<int>(left.count()) : 0;
    }
    INMOST_ASSIGN_OR_RETURN(bool readable, WaitReadable(fd_, wait_ms));
    if (!readable) {
      return Expired("no event within " + std::to_string(timeout_ms) + " ms");
    }
    INMOST_ASSIGN_OR_RETURN(control::ServerMessage message, ReadServerMessage());
    if (message.has_event()) return std::move(*message.mutable_event());
    // A response nobody waits for (a Call that failed half-way): drop it.
  }
}

Result<control::ServerMessage> Client::ReadServerMessage() {
  char prefix[kLengthPrefixBytes];
  Status status = ReadExactly(fd_, prefix, 1);
  if (!status.ok()) {
    Close();
    return status;
  }
  if (prefix[0] == '{') {
    // Not a frame: the daemon's one-line JSON refusal. Read it to its newline.
    std::string line = "{";
    char c = 0;
    while (line.size() < kMaxRefusalLineBytes && ReadExactly(fd_, &c, 1).ok() && c != '\n') {
      line.push_back(c);
    }
    Close();
    return StatusFromRefusalLine(line);
  }
  status = ReadExactly(fd_, prefix + 1, kLengthPrefixBytes - 1);
  if (!status.ok()) {
    Close();  // Mid-message: the stream cannot be resynchronised.
    return status;
  }
  auto byte = [&prefix](int i) { return static_cast<uint32_t>(static_cast<uint8_t>(prefix[i])); };
  uint32_t size = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
  if (size > kMaxServerMessageBytes) {
    Close();
    return Corruption("inmostd sent a reply of " + std::to_string(size) +
                      " bytes; is the socket really inmostd's?");
  }
  std::string body(size, '\0');
  status = ReadExactly(fd_, body.data(), size);
  if (!status.ok()) {
    Close();
    return status;
  }
  control::ServerMessage message;
  if (!message.ParseFromString(body)) {
    Close();
    return Corruption("inmostd sent a reply this client cannot parse");
  }
  return message;
}

}  // namespace inmost
