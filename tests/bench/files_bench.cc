#include "tests/bench/files_bench.h"

#include <sodium.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/bench_table.h"
#include "tests/bench/daemon_process.h"
#include "tests/bench/primitives_bench.h"

namespace inmost::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMiB = size_t{1} << 20;
constexpr auto kTextInterval = std::chrono::milliseconds(100);
constexpr int kMaxTexts = 20000;
constexpr auto kTransferDeadline = std::chrono::minutes(10);
// After the file is in, how long the texts still on their way may take to arrive.
constexpr auto kTextGrace = std::chrono::seconds(10);
constexpr char kTextPrefix[] = "bench text during the file ";

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// A file of `mebibytes` MiB under `dir`: one random MiB, each copy starting with its
// own counter, so that no two chunks are alike.
std::string MakeFile(const std::filesystem::path& dir, size_t mebibytes) {
  std::string path = (dir / "bench-file.bin").string();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) Check(IoError("cannot create " + path), "file");
  std::vector<uint8_t> block(kMiB);
  randombytes_buf(block.data(), block.size());
  for (size_t i = 0; i < mebibytes; ++i) {
    for (int b = 0; b < 8; ++b) block[b] = static_cast<uint8_t>(i >> (8 * b));
    if (std::fwrite(block.data(), 1, block.size(), f) != block.size()) {
      Check(IoError("cannot write " + path), "file");
    }
  }
  if (std::fclose(f) != 0) Check(IoError("cannot write " + path), "file");
  return path;
}

control::Request Send(const std::string& text, const std::string& file_path = "") {
  control::Request r;
  r.mutable_send()->set_text(text);
  if (!file_path.empty()) r.mutable_send()->set_file_path(file_path);
  return r;
}

// Sends a text from `daemon` every kTextInterval until `stop`; records when each
// request left (index = the number in the text).
class TextTicker {
 public:
  explicit TextTicker(const DaemonProcess& daemon) : client_(daemon.Connect()) {
    sent_at_.reserve(kMaxTexts);
  }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  // Sends no more texts (the one under way still goes); Stop() waits for it.
  void RequestStop() { stop_ = true; }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // When text `i` was sent; false when there is no such text.
  bool SentAt(int i, Clock::time_point* at) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (i < 0 || static_cast<size_t>(i) >= sent_at_.size()) return false;
    *at = sent_at_[static_cast<size_t>(i)];
    return true;
  }
  int sent() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(sent_at_.size());
  }

 private:
  void Run() {
    auto next = Clock::now();
    for (int i = 0; !stop_ && i < kMaxTexts; ++i) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        sent_at_.push_back(Clock::now());
      }
      Check(client_.Call(Send(kTextPrefix + std::to_string(i))).status(), "send text");
      next += kTextInterval;
      std::this_thread::sleep_until(next);
    }
  }

  Client client_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<Clock::time_point> sent_at_;
};

}  // namespace

void MeasureFile(const std::string& inmostd, size_t file_mib, Figures& figures) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "inmost-bench-file-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Check(IoError("mkdtemp failed"), "temp dir");
  const std::filesystem::path dir = pattern;
  const std::string path = MakeFile(dir, file_mib);
  const double bytes = static_cast<double>(file_mib * kMiB);

  DaemonProcess alice(inmostd, "alice"), bob(inmostd, "bob");
  alice.Start();
  bob.Start();
  Pair(alice, bob);

  Client watcher = bob.Connect();
  control::Request subscribe;
  subscribe.mutable_subscribe();
  Check(watcher.Call(subscribe).status(), "subscribe");
  Client sender = alice.Connect();
  TextTicker texts(alice);

  // From the send request to bob's entry RECEIVED (every chunk synced and the whole
  // file verified there); texts leave alice every 100 ms meanwhile.
  texts.Start();
  const auto start = Clock::now();
  Check(sender.Call(Send("the bench's big file", path)).status(), "send file");
  std::vector<double> latencies;
  std::vector<bool> seen;
  Clock::time_point done{};
  const auto deadline = start + kTransferDeadline;
  while (true) {
    const auto now = Clock::now();
    if (done == Clock::time_point{} && now > deadline) {
      Check(Unavailable("the file did not arrive within 10 minutes"), "files");
    }
    if (done != Clock::time_point{} &&
        (static_cast<int>(latencies.size()) >= texts.sent() || now > done + kTextGrace)) {
      break;
    }
    auto event = watcher.NextEvent(1000);
    if (!event.ok() && event.status().code() == Code::kExpired) continue;
    Check(event.status(), "waiting for bob's events");
    const auto at = Clock::now();
    if (event->has_transfer() && event->transfer().direction() == control::Message::INCOMING) {
      const auto& file = event->transfer().file();
      if (file.state() == control::Attachment::FAILED) {
        Check(Unavailable("the file failed at bob: " + file.error()), "files");
      }
      if (file.state() == control::Attachment::RECEIVED && done == Clock::time_point{}) {
        done = at;
        texts.RequestStop();
      }
    }
    if (event->has_message_received()) {
      const std::string& text = event->message_received().message().text();
      if (text.rfind(kTextPrefix, 0) != 0) continue;
      const int i = std::atoi(text.c_str() + sizeof kTextPrefix - 1);
      Clock::time_point sent_at;
      if (!texts.SentAt(i, &sent_at)) continue;
      if (seen.size() <= static_cast<size_t>(i)) seen.resize(static_cast<size_t>(i) + 1);
      if (seen[static_cast<size_t>(i)]) continue;
      seen[static_cast<size_t>(i)] = true;
      latencies.push_back(Seconds(at - sent_at) * 1000.0);
    }
  }
  texts.Stop();
  const double seconds = Seconds(done - start);
  const long peak_a = alice.PeakResidentKiB(), peak_b = bob.PeakResidentKiB();
  alice.Stop();
  bob.Stop();
  std::filesystem::remove_all(dir);

  const std::string size = std::to_string(file_mib) + " MiB";
  figures.Inmost("inmost: file " + size + " alice->bob, send to RECEIVED (synced)", "MB/s",
                 Better::kHigher, bytes / seconds / 1e6, kFileCeiling, "goal >= 0.9x");
  if (!latencies.empty()) {
    const std::string sent = std::to_string(latencies.size()) + " texts, one per 100 ms";
    figures.Inmost("inmost: text during the file, send-to-receive p50", "ms", Better::kLower,
                   Percentile(latencies, 0.50),
                   "model: one durable message latency p50, 1 in flight", sent);
    figures.Inmost("inmost: text during the file, send-to-receive max", "ms", Better::kLower,
                   *std::max_element(latencies.begin(), latencies.end()),
                   "model: one durable message latency p99, 1 in flight", "goal < 50 ms");
  }
  figures.Inmost("inmost: peak resident memory (VmHWM) with the file, alice", "MiB", Better::kLower,
                 peak_a / 1024.0, "");
  figures.Inmost("inmost: peak resident memory (VmHWM) with the file, bob", "MiB", Better::kLower,
                 peak_b / 1024.0, "");
}

}  // namespace inmost::bench
