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

#include "tests/bench/daemon_process.h"

namespace inmost::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kFileMiB = 256;
constexpr size_t kAeadBuffer = 64 * 1024;  // About a file chunk (64512 B).
constexpr int kAeadSeals = 8192;           // 512 MiB sealed.
constexpr auto kTextInterval = std::chrono::milliseconds(100);
constexpr int kMaxTexts = 20000;
constexpr auto kTransferDeadline = std::chrono::minutes(10);
// After the file is in, how long the texts still on their way may take to arrive.
constexpr auto kTextGrace = std::chrono::seconds(10);
constexpr char kTextPrefix[] = "bench text during the file ";

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Raw ChaCha20-Poly1305 (IETF) seals of 64 KiB buffers on one core, in MB/s: the
// ceiling of anything that encrypts a file once (the Noise transport does, and the
// recipient seals it again at rest).
double AeadSealMegabytesPerSecond() {
  std::vector<uint8_t> key(crypto_aead_chacha20poly1305_ietf_KEYBYTES, 7);
  std::vector<uint8_t> nonce(crypto_aead_chacha20poly1305_ietf_NPUBBYTES, 0);
  std::vector<uint8_t> plain(kAeadBuffer),
      sealed(kAeadBuffer + crypto_aead_chacha20poly1305_ietf_ABYTES);
  randombytes_buf(plain.data(), plain.size());
  const auto start = Clock::now();
  for (int i = 0; i < kAeadSeals; ++i) {
    nonce[0] = static_cast<uint8_t>(i);
    nonce[1] = static_cast<uint8_t>(i >> 8);
    crypto_aead_chacha20poly1305_ietf_encrypt(sealed.data(), nullptr, plain.data(), plain.size(),
                                              nullptr, 0, nullptr, nonce.data(), key.data());
  }
  return static_cast<double>(kAeadSeals) * kAeadBuffer / Seconds(Clock::now() - start) / 1e6;
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

std::vector<Row> FileRows(const std::string& inmostd) {
  std::vector<Row> rows;
  const double aead = AeadSealMegabytesPerSecond();

  std::string pattern =
      (std::filesystem::temp_directory_path() / "inmost-bench-file-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Check(IoError("mkdtemp failed"), "temp dir");
  const std::filesystem::path dir = pattern;
  const std::string path = MakeFile(dir, kFileMiB);
  const double bytes = static_cast<double>(kFileMiB * kMiB);

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

  rows.push_back({"raw ChaCha20-Poly1305 seal, 64 KiB buffers", aead, "MB/s", "ceiling, one core"});
  rows.push_back(
      {"file 256 MiB alice->bob, send to RECEIVED (synced)", bytes / seconds / 1e6, "MB/s",
       "target >= 300; " + std::to_string(static_cast<int>(100 * bytes / seconds / 1e6 / aead)) +
           "% of raw seal rate"});
  if (latencies.empty()) {
    rows.push_back({"text during the file: no text arrived", 0, "", ""});
  } else {
    const std::string sent = std::to_string(latencies.size()) + " texts, one per 100 ms";
    rows.push_back(
        {"text during the file: send-to-receive p50", Percentile(latencies, 0.50), "ms", sent});
    rows.push_back(
        {"text during the file: send-to-receive p99", Percentile(latencies, 0.99), "ms", ""});
    rows.push_back({"text during the file: send-to-receive max",
                    *std::max_element(latencies.begin(), latencies.end()), "ms", "target < 50"});
  }
  rows.push_back(
      {"peak resident memory (VmHWM) with the file, alice", peak_a / 1024.0, "MiB", "target < 64"});
  rows.push_back(
      {"peak resident memory (VmHWM) with the file, bob", peak_b / 1024.0, "MiB", "target < 64"});
  return rows;
}

}  // namespace inmost::bench
