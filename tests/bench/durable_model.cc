#include "tests/bench/durable_model.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tests/bench/bench_table.h"
#include "tests/bench/daemon_process.h"

namespace inmost::bench {
namespace {

using Clock = std::chrono::steady_clock;

void Fail(const std::string& what) {
  Check(IoError(what + ": " + std::strerror(errno)), "durable model");
}

// A new file, its directory entry synced: durable as inmost makes its files.
int CreateSynced(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) Fail("create " + path.string());
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0 || ::fsync(dir) != 0) Fail("sync " + path.parent_path().string());
  ::close(dir);
  return fd;
}

void WriteAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Fail("write");
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void AppendAndSync(int fd, const std::vector<uint8_t>& data, size_t size) {
  WriteAll(fd, data.data(), size);
  if (::fdatasync(fd) != 0) Fail("fdatasync");
}

void NoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// The receiving process: reads what has come, appends it, one fdatasync, then acks
// the count of whole records now durable (8 bytes). Ends when the sender closes.
[[noreturn]] void Receive(int listener, size_t record_bytes, const std::filesystem::path& file) {
  int conn = ::accept(listener, nullptr, nullptr);
  if (conn < 0) Fail("accept");
  ::close(listener);
  NoDelay(conn);
  int fd = CreateSynced(file);
  std::vector<uint8_t> buffer(1 << 20);
  uint64_t bytes = 0;
  while (true) {
    ssize_t n = ::recv(conn, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size_t have = static_cast<size_t>(n);
    // Whatever else has arrived joins this group.
    while (have < buffer.size()) {
      ssize_t more = ::recv(conn, buffer.data() + have, buffer.size() - have, MSG_DONTWAIT);
      if (more <= 0) break;
      have += static_cast<size_t>(more);
    }
    AppendAndSync(fd, buffer, have);
    bytes += have;
    uint64_t durable = bytes / record_bytes;
    WriteAll(conn, reinterpret_cast<const uint8_t*>(&durable), sizeof durable);
  }
  ::close(fd);
  ::close(conn);
  ::_exit(0);
}

}  // namespace

ModelOutcome RunDurableModel(size_t record_bytes, int in_flight, double seconds,
                             const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Fail("listen on loopback");
  }
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0) Fail("fork");
  if (child == 0) Receive(listener, record_bytes, dir / "receiver.log");
  ::close(listener);

  int conn = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (conn < 0 || ::connect(conn, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Fail("connect on loopback");
  }
  NoDelay(conn);
  int fd = CreateSynced(dir / "sender.log");
  const size_t window = static_cast<size_t>(in_flight);
  std::vector<uint8_t> batch(window * record_bytes, 'm');
  std::vector<Clock::time_point> sent_at;
  std::vector<double> latencies;
  uint64_t next = 0, acked = 0;
  uint8_t ack_bytes[4096];
  size_t ack_have = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  auto last_ack = start;
  while (true) {
    const auto now = Clock::now();
    const bool sending = now < deadline;
    if (sending && next - acked < window) {
      // Group commit on the sending side too: every record the window allows, one sync.
      const size_t count = window - static_cast<size_t>(next - acked);
      for (size_t i = 0; i < count; ++i) {
        const uint64_t seq = next + i;
        std::memcpy(batch.data() + i * record_bytes, &seq, std::min(sizeof seq, record_bytes));
        sent_at.push_back(now);
      }
      // Sent before the sender's own sync, which then runs while the receiver syncs:
      // a record counts once both are done (its ack is awaited after the sync).
      WriteAll(fd, batch.data(), count * record_bytes);
      WriteAll(conn, batch.data(), count * record_bytes);
      if (::fdatasync(fd) != 0) Fail("fdatasync");
      next += count;
    }
    if (!sending && acked == next) break;
    // Acks: wait for one when nothing more may be sent, else take what is there.
    const bool wait = !sending || next - acked >= window;
    ssize_t n =
        ::recv(conn, ack_bytes + ack_have, sizeof ack_bytes - ack_have, wait ? 0 : MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) Fail("the model's receiver went away");
    ack_have += static_cast<size_t>(n);
    const size_t whole = ack_have / sizeof(uint64_t);
    if (whole == 0) continue;
    uint64_t durable = 0;
    std::memcpy(&durable, ack_bytes + (whole - 1) * sizeof durable, sizeof durable);
    std::memmove(ack_bytes, ack_bytes + whole * sizeof durable, ack_have % sizeof durable);
    ack_have %= sizeof durable;
    last_ack = Clock::now();
    for (; acked < durable; ++acked) {
      latencies.push_back(
          std::chrono::duration<double, std::milli>(last_ack - sent_at[acked]).count());
    }
  }
  ::shutdown(conn, SHUT_WR);
  ::close(conn);
  ::close(fd);
  int status = 0;
  ::waitpid(child, &status, 0);
  std::filesystem::remove_all(dir);
  if (latencies.empty()) Check(Unavailable("no record was acknowledged"), "durable model");
  const double elapsed = std::chrono::duration<double>(last_ack - start).count();
  return {static_cast<double>(acked) / elapsed, Percentile(latencies, 0.50),
          Percentile(latencies, 0.99)};
}

double DiskAppendMegabytesPerSecond(size_t chunk_bytes, int chunks_per_sync, size_t total_bytes,
                                    const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const auto path = dir / "append.bin";
  const auto start = Clock::now();
  int fd = CreateSynced(path);
  std::vector<uint8_t> chunk(chunk_bytes, 'c');
  const size_t chunks = total_bytes / chunk_bytes;
  for (size_t i = 0; i < chunks; ++i) {
    std::memcpy(chunk.data(), &i, sizeof i);
    WriteAll(fd, chunk.data(), chunk.size());
    if ((i + 1) % static_cast<size_t>(chunks_per_sync) == 0 && ::fdatasync(fd) != 0) {
      Fail("fdatasync");
    }
  }
  if (::fdatasync(fd) != 0) Fail("fdatasync");
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  std::filesystem::remove_all(dir);
  return static_cast<double>(chunks * chunk_bytes) / seconds / 1e6;
}

}  // namespace inmost::bench
