#include "tests/bench/link_bench.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "daemon/crypto/envelope_seal.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/noise/handshake_state.h"
#include "inmost/data_dir.h"
#include "tests/bench/bench_table.h"
#include "tests/bench/daemon_process.h"
#include "tests/bench/durable_model.h"
#include "tests/bench/primitives_bench.h"

namespace inmost::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPerConnection = 128;  // Sends in flight on one control connection at most.
constexpr int kHandshakes = 300;
constexpr int kEnvelopes = 20000;
// The partner's budget (a defence against a flooding partner, far above what a person
// sends) would stop a run of several 100,000 messages; the bench measures the path.
const std::vector<std::string> kNoIncomingBudget = {
    "--incoming-items-per-hour", "1000000000", "--incoming-unread-items", "1000000000",
    "--incoming-bytes-per-hour", "1T",         "--incoming-unread-bytes", "1T"};
constexpr char kModelLatencyP50[] = "model: one durable message latency p50, 1 in flight";
constexpr char kModelLatencyP99[] = "model: one durable message latency p99, 1 in flight";
constexpr char kTwoModelLatencies[] = "model: two durable messages one after the other, p50";

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The pid of this process's child running on `data_dir` (a daemon), or -1.
pid_t ChildOn(const std::string& data_dir) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t comm_end = line.rfind(')');
    if (comm_end == std::string::npos) continue;
    std::istringstream fields(line.substr(comm_end + 2));
    char state = 0;
    pid_t parent = -1;
    fields >> state >> parent;
    if (parent != ::getpid()) continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (args.find(data_dir) != std::string::npos) return std::stoi(name);
  }
  return -1;
}

// CPU time of every thread of process `pid` so far, in seconds (schedstat: ns on CPU).
double ProcessCpuSeconds(pid_t pid) {
  double total = 0;
  std::error_code ec;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream schedstat(task.path() / "schedstat");
    double ns = 0;
    if (schedstat >> ns) total += ns * 1e-9;
  }
  return total;
}

std::filesystem::path ScratchDir(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("inmost-bench-" + name + "-" + std::to_string(::getpid()));
}

control::Request SendRequest(const std::string& text) {
  control::Request r;
  r.mutable_send()->set_text(text);
  return r;
}

std::string Text(long i) {
  std::string t = "bench message " + std::to_string(i) + " ";
  t.resize(kMessageBytes, '.');
  return t;
}

// CPU time of one Noise KK handshake, per side, in this process.
double KkHandshakeCpuMs() {
  auto a = crypto::KeyPair::Generate();
  auto b = crypto::KeyPair::Generate();
  const double cpu = CpuSeconds();
  for (int i = 0; i < kHandshakes; ++i) {
    noise::HandshakeConfig ic{"Noise_KK_25519_ChaChaPoly_BLAKE2b",
                              noise::Role::kInitiator,
                              {},
                              &a,
                              b.public_key,
                              {},
                              nullptr};
    noise::HandshakeConfig rc{"Noise_KK_25519_ChaChaPoly_BLAKE2b",
                              noise::Role::kResponder,
                              {},
                              &b,
                              a.public_key,
                              {},
                              nullptr};
    auto init = noise::HandshakeState::Create(ic);
    auto resp = noise::HandshakeState::Create(rc);
    Check(init.status(), "kk init");
    Check(resp.status(), "kk resp");
    auto m1 = init->WriteMessage({});
    Check(resp->ReadMessage(*m1).status(), "kk read 1");
    auto m2 = resp->WriteMessage({});
    Check(init->ReadMessage(*m2).status(), "kk read 2");
  }
  return (CpuSeconds() - cpu) * 1000.0 / kHandshakes / 2;
}

// Envelopes sealed (fresh key, AEAD, commitment) and opened per second, 256 B bodies.
std::pair<double, double> EnvelopeRates(int count) {
  const std::string id = crypto::NewEnvelopeId();
  const std::string body(kMessageBytes, 'x');
  auto start = Clock::now();
  crypto::SealedBody sealed = crypto::SealBody(id, body);
  for (int i = 1; i < count; ++i) sealed = crypto::SealBody(id, body);
  const double seal = count / Seconds(Clock::now() - start);
  start = Clock::now();
  for (int i = 0; i < count; ++i) {
    Check(crypto::OpenBody(id, sealed.key.span(), sealed.ciphertext, sealed.commitment).status(),
          "open envelope");
  }
  return {seal, count / Seconds(Clock::now() - start)};
}

// Waits until `alice` has no unacknowledged message: bob has synced every one.
void WaitAllAcknowledged(Client& client) {
  control::Request status;
  status.mutable_status();
  while (true) {
    auto s = client.Call(status);
    Check(s.status(), "status");
    if (s->status().unacknowledged() == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// Durable messages per second with at most `in_flight` messages posted and not yet
// delivered (stored by bob, as alice's `delivered` events say): the model's window.
// Posted over ceil(in_flight / 128) connections for `seconds`; the clock stops when
// bob has stored the last.
struct RateOutcome {
  double per_second = 0;
  long messages = 0;
};

RateOutcome DurableRate(const DaemonProcess& alice, Client& status_client, int in_flight,
                        double seconds) {
  const int connections = std::max(1, (in_flight + kPerConnection - 1) / kPerConnection);
  Client watcher = alice.Connect();
  control::Request subscribe;
  subscribe.mutable_subscribe();
  Check(watcher.Call(subscribe).status(), "subscribe");
  std::mutex mutex;
  std::condition_variable window_open;
  long posted = 0, delivered = 0;
  bool stop = false;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  std::thread counter([&] {
    while (true) {
      auto event = watcher.NextEvent(100);
      std::lock_guard<std::mutex> lock(mutex);
      if (event.ok() && event->has_delivered()) {
        ++delivered;
        window_open.notify_all();
      } else if (!event.ok() && event.status().code() != Code::kExpired) {
        Check(event.status(), "alice's events");
      }
      if (stop) return;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      Client c = alice.Connect();
      int outstanding = 0;
      while (Clock::now() < deadline) {
        long i = 0;
        {
          std::unique_lock<std::mutex> lock(mutex);
          if (posted - delivered >= in_flight) {
            lock.unlock();
            // The window is shut: collect the replies, then wait for deliveries.
            for (; outstanding > 0; --outstanding) Check(c.ReadResponse().status(), "send reply");
            lock.lock();
            const bool opened = window_open.wait_for(
                lock, std::chrono::seconds(10), [&] { return posted - delivered < in_flight; });
            if (!opened) Check(Unavailable("no delivery reported for 10 s"), "durable rate");
          }
          i = posted++;
        }
        Check(c.Post(SendRequest(Text(i))).status(), "send");
        if (++outstanding >= kPerConnection) {
          Check(c.ReadResponse().status(), "send reply");
          --outstanding;
        }
      }
      for (; outstanding > 0; --outstanding) Check(c.ReadResponse().status(), "send reply");
    });
  }
  for (auto& th : threads) th.join();
  WaitAllAcknowledged(status_client);
  const double elapsed = Seconds(Clock::now() - start);
  {
    std::lock_guard<std::mutex> lock(mutex);
    stop = true;
  }
  counter.join();
  return {static_cast<double>(posted) / elapsed, posted};
}

// A bot's sends: JSON-RPC lines on one control connection, `in_flight` outstanding,
// for `seconds`; durable when bob has acknowledged the last.
double JsonRpcRate(const DaemonProcess& alice, Client& status_client, int in_flight,
                   double seconds) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = ControlSocketPath(alice.data_dir());
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Check(IoError("cannot connect to " + path), "JSON-RPC");
  }
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  long posted = 0, answered = 0;
  char buffer[65536];
  auto read_replies = [&] {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) Check(IoError("the daemon closed the JSON-RPC connection"), "JSON-RPC");
    answered += std::count(buffer, buffer + n, '\n');
  };
  while (Clock::now() < deadline) {
    std::string lines;
    for (; posted - answered < in_flight; ++posted) {
      lines += "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(posted) +
               ",\"method\":\"send\",\"params\":{\"text\":\"" + Text(posted) + "\"}}\n";
    }
    for (size_t off = 0; off < lines.size();) {
      ssize_t n = ::write(fd, lines.data() + off, lines.size() - off);
      if (n <= 0) Check(IoError("cannot write to the control socket"), "JSON-RPC");
      off += static_cast<size_t>(n);
    }
    read_replies();
  }
  while (answered < posted) read_replies();
  ::close(fd);
  WaitAllAcknowledged(status_client);
  return static_cast<double>(posted) / Seconds(Clock::now() - start);
}

}  // namespace

std::string DurableRateName(const std::string& who, int in_flight) {
  return who + ": durable msgs/s, 256 B, both sides synced, " + std::to_string(in_flight) +
         " in flight";
}

void MeasureModel(const LinkBudget& budget, Figures& figures) {
  const auto dir = ScratchDir("model");
  const ModelOutcome one = RunDurableModel(kMessageBytes, 1, budget.model_seconds, dir);
  figures.Ceiling(kModelLatencyP50, "ms", Better::kLower, one.p50_ms,
                  "loopback TCP, the 2 fdatasyncs overlapped");
  figures.Ceiling(kModelLatencyP99, "ms", Better::kLower, one.p99_ms);
  figures.Ceiling(kTwoModelLatencies, "ms", Better::kLower, 2 * one.p50_ms, "2 x the p50");
  figures.Ceiling(DurableRateName("model", 1), "msgs/s", Better::kHigher, one.messages_per_second);
  figures.SetInFlight(DurableRateName("model", 1), 1);
  const ModelOutcome many =
      RunDurableModel(kMessageBytes, budget.pipelined, budget.model_seconds, dir);
  const std::string name = DurableRateName("model", budget.pipelined);
  figures.Ceiling(name, "msgs/s", Better::kHigher, many.messages_per_second,
                  "group commit on both sides");
  figures.SetInFlight(name, budget.pipelined);
}

void MeasureLink(const std::string& inmostd, const LinkBudget& budget, Figures& figures) {
  figures.Inmost("inmost: Noise KK handshake CPU per side", "ms", Better::kLower,
                 KkHandshakeCpuMs(), kKkPrimitivesMs, "in-process, empty payloads");
  auto [envelope_seal, envelope_open] = EnvelopeRates(kEnvelopes);
  figures.Inmost("inmost: envelope seal (key, AEAD, commitment), 256 B", "ops/s", Better::kHigher,
                 envelope_seal, kXSeal256);
  figures.Inmost("inmost: envelope open (AEAD, commitment check), 256 B", "ops/s", Better::kHigher,
                 envelope_open, kXOpen256);

  DaemonProcess alice(inmostd, "alice"), bob(inmostd, "bob");
  alice.Start(kNoIncomingBudget);
  bob.Start(kNoIncomingBudget);
  Pair(alice, bob);
  figures.Inmost("inmost: idle resident memory, alice", "MiB", Better::kLower,
                 alice.ResidentKiB() / 1024.0, "", "no machine bound; goal <= 8");
  figures.Inmost("inmost: idle resident memory, bob", "MiB", Better::kLower,
                 bob.ResidentKiB() / 1024.0, "", "no machine bound; goal <= 8");
  // Most of VmRSS is the binary's and the shared libraries' clean pages (shared with
  // every other process that maps them); this is the daemon's own: heap, stacks, and
  // the libraries' written data (docs/performance.md, "Idle memory").
  figures.Inmost("inmost: idle private memory (RssAnon), alice", "MiB", Better::kLower,
                 alice.AnonymousKiB() / 1024.0, "", "the rest of VmRSS is mapped files");

  // One message on an idle link: send on alice, event on bob.
  Client sender = alice.Connect();
  Client watcher = bob.Connect();
  control::Request subscribe;
  subscribe.mutable_subscribe();
  Check(watcher.Call(subscribe).status(), "subscribe");
  std::vector<double> latencies;
  for (int i = 0; i < budget.latency_samples; ++i) {
    const auto start = Clock::now();
    Check(sender.Call(SendRequest(Text(i))).status(), "send");
    while (true) {
      auto event = watcher.NextEvent(5000);
      Check(event.status(), "waiting for delivery");
      if (event->has_message_received()) break;
    }
    latencies.push_back(Seconds(Clock::now() - start) * 1000.0);
  }
  figures.Inmost("inmost: one message send-to-receive p50, idle link", "ms", Better::kLower,
                 Percentile(latencies, 0.50), kModelLatencyP50,
                 "to bob's event; the model's to the ack back at the sender");
  figures.Inmost("inmost: one message send-to-receive p99, idle link", "ms", Better::kLower,
                 Percentile(latencies, 0.99), kModelLatencyP99);

  // An envelope whose time has come: offer, key release and opening at bob.
  std::vector<double> envelope_latencies;
  for (int i = 0; i < std::max(1, budget.latency_samples / 3); ++i) {
    control::Request sealed = SendRequest(Text(i));
    sealed.mutable_send()->set_open_at_unix_ms(1);  // Long past: released at once.
    const auto start = Clock::now();
    Check(sender.Call(sealed).status(), "send sealed");
    while (true) {
      auto event = watcher.NextEvent(5000);
      Check(event.status(), "waiting for the envelope to open");
      if (event->has_changed() &&
          event->changed().message().envelope().state() == control::Message::Envelope::OPENED) {
        break;
      }
    }
    envelope_latencies.push_back(Seconds(Clock::now() - start) * 1000.0);
  }
  figures.Inmost("inmost: due envelope, send to opened at recipient p50", "ms", Better::kLower,
                 Percentile(envelope_latencies, 0.50), kTwoModelLatencies,
                 "offer, then key release");

  // Rates: inmost at 1 and at the pipelined number in flight, then a bot's JSON-RPC.
  std::atomic<long> peak_a{0}, peak_b{0};
  const pid_t alice_pid = ChildOn(alice.data_dir()), bob_pid = ChildOn(bob.data_dir());
  for (int in_flight : {1, budget.pipelined}) {
    const std::string name = DurableRateName("inmost", in_flight);
    const double cpu_a = ProcessCpuSeconds(alice_pid), cpu_b = ProcessCpuSeconds(bob_pid);
    const RateOutcome rate = DurableRate(alice, sender, in_flight, budget.throughput_seconds);
    figures.Inmost(name, "msgs/s", Better::kHigher, rate.per_second,
                   DurableRateName("model", in_flight));
    figures.SetInFlight(name, in_flight);
    // CPU per message of each daemon, all its threads (docs/performance.md, "Where a
    // message's time goes"): less sensitive to a loaded machine than the rate.
    if (alice_pid > 0 && bob_pid > 0 && rate.messages > 0) {
      const std::string at = ", " + std::to_string(in_flight) + " in flight";
      figures.Inmost("inmost: CPU per message, sender (alice)" + at, "us", Better::kLower,
                     (ProcessCpuSeconds(alice_pid) - cpu_a) * 1e6 / rate.messages, "",
                     "every thread of the daemon");
      figures.Inmost("inmost: CPU per message, recipient (bob)" + at, "us", Better::kLower,
                     (ProcessCpuSeconds(bob_pid) - cpu_b) * 1e6 / rate.messages, "",
                     "every thread of the daemon");
    }
    peak_a = std::max(peak_a.load(), alice.PeakResidentKiB());
    peak_b = std::max(peak_b.load(), bob.PeakResidentKiB());
  }
  figures.Inmost("bot: JSON-RPC sends pipelined, one connection, " +
                     std::to_string(budget.pipelined) + " in flight",
                 "msgs/s", Better::kHigher,
                 JsonRpcRate(alice, sender, budget.pipelined, budget.throughput_seconds),
                 DurableRateName("inmost", budget.pipelined), "durable at bob; goal >= 0.5x");
  figures.Inmost("inmost: peak resident memory (VmHWM) after the rates, alice", "MiB",
                 Better::kLower, peak_a / 1024.0, "");
  figures.Inmost("inmost: peak resident memory (VmHWM) after the rates, bob", "MiB", Better::kLower,
                 peak_b / 1024.0, "");
}

void MeasureSweep(const std::string& inmostd, const LinkBudget& budget,
                  const std::vector<int>& in_flight, Figures& figures) {
  const auto dir = ScratchDir("sweep");
  for (int n : in_flight) {
    const std::string name = DurableRateName("model", n);
    figures.Ceiling(
        name, "msgs/s", Better::kHigher,
        RunDurableModel(kMessageBytes, n, budget.model_seconds, dir).messages_per_second);
    figures.SetInFlight(name, n);
  }
  DaemonProcess alice(inmostd, "alice"), bob(inmostd, "bob");
  alice.Start(kNoIncomingBudget);
  bob.Start(kNoIncomingBudget);
  Pair(alice, bob);
  Client status = alice.Connect();
  for (int n : in_flight) {
    const std::string name = DurableRateName("inmost", n);
    figures.Inmost(name, "msgs/s", Better::kHigher,
                   DurableRate(alice, status, n, budget.throughput_seconds).per_second,
                   DurableRateName("model", n));
    figures.SetInFlight(name, n);
  }
}

}  // namespace inmost::bench
