// scripts/bench: measures inmost against this machine's raw ceilings and prints one
// table. It is a benchmark, not a test: it asserts nothing about speed.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sodium.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "daemon/crypto/envelope_seal.h"
#include "daemon/crypto/key_pair.h"
#include "daemon/noise/handshake_state.h"
#include "tests/bench/bench_table.h"
#include "tests/bench/chunk_storage_bench.h"
#include "tests/bench/daemon_process.h"
#include "tests/bench/files_bench.h"
#include "tests/bench/large_history_bench.h"

namespace inmost::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMessageBytes = 256;
constexpr int kLatencySamples = 300;
constexpr int kThroughputMessages = 20000;
constexpr int kSenderThreads = 4;
constexpr int kPipelineDepth = 128;  // Sends in flight per connection.

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Raw synced LevelDB writes: the ceiling for anything durable.
std::pair<double, double> LevelDbSyncedRates() {
  std::string dir = (std::filesystem::temp_directory_path() / "inmost-bench-leveldb").string();
  std::filesystem::remove_all(dir);
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* raw = nullptr;
  Check(leveldb::DB::Open(options, dir, &raw).ok() ? Status() : IoError("leveldb open"), "leveldb");
  std::unique_ptr<leveldb::DB> db(raw);
  leveldb::WriteOptions sync;
  sync.sync = true;
  std::string value(kMessageBytes + 40, 'x');
  constexpr int kPuts = 300;
  auto start = Clock::now();
  for (int i = 0; i < kPuts; ++i) db->Put(sync, "p" + std::to_string(i), value);
  double single = kPuts / Seconds(Clock::now() - start);
  constexpr int kBatches = 200;
  constexpr int kPerBatch = 100;
  start = Clock::now();
  for (int b = 0; b < kBatches; ++b) {
    leveldb::WriteBatch batch;
    for (int i = 0; i < kPerBatch; ++i) batch.Put("b" + std::to_string(b * kPerBatch + i), value);
    db->Write(sync, &batch);
  }
  double batched = kBatches * kPerBatch / Seconds(Clock::now() - start);
  db.reset();
  std::filesystem::remove_all(dir);
  return {single, batched};
}

double SealRate() {
  std::vector<uint8_t> key(crypto_aead_chacha20poly1305_ietf_KEYBYTES, 7);
  std::vector<uint8_t> nonce(crypto_aead_chacha20poly1305_ietf_NPUBBYTES, 0);
  std::vector<uint8_t> msg(kMessageBytes, 1), out(kMessageBytes + 16);
  constexpr int kSeals = 500000;
  auto start = Clock::now();
  for (int i = 0; i < kSeals; ++i) {
    nonce[0] = static_cast<uint8_t>(i);
    crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), nullptr, msg.data(), msg.size(), nullptr,
                                              0, nullptr, nonce.data(), key.data());
  }
  return kSeals / Seconds(Clock::now() - start);
}

// Envelopes sealed (fresh key, AEAD, commitment) and opened (AEAD, commitment
// check) per second, 256-byte bodies.
std::pair<double, double> EnvelopeRates() {
  constexpr int kEnvelopes = 100000;
  std::string id = crypto::NewEnvelopeId();
  std::string body(kMessageBytes, 'x');
  auto start = Clock::now();
  crypto::SealedBody sealed = crypto::SealBody(id, body);
  for (int i = 1; i < kEnvelopes; ++i) sealed = crypto::SealBody(id, body);
  double seal = kEnvelopes / Seconds(Clock::now() - start);
  start = Clock::now();
  for (int i = 0; i < kEnvelopes; ++i) {
    Check(crypto::OpenBody(id, sealed.key.span(), sealed.ciphertext, sealed.commitment).status(),
          "open envelope");
  }
  return {seal, kEnvelopes / Seconds(Clock::now() - start)};
}

// CPU time of one Noise KK handshake, per side.
double KkHandshakeCpuMs() {
  auto a = crypto::KeyPair::Generate();
  auto b = crypto::KeyPair::Generate();
  constexpr int kHandshakes = 300;
  double cpu = CpuSeconds();
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

control::Request SendRequest(const std::string& text) {
  control::Request r;
  r.mutable_send()->set_text(text);
  return r;
}

std::string Text(int i) {
  std::string t = "bench message " + std::to_string(i) + " ";
  t.resize(kMessageBytes, '.');
  return t;
}

// Two paired daemons on loopback: latency, throughput and memory, beside the
// machine's raw ceilings.
std::vector<Row> LinkRows(const std::string& inmostd) {
  std::vector<Row> rows;
  auto [single_put, batch_put] = LevelDbSyncedRates();
  double seal = SealRate();
  double kk_ms = KkHandshakeCpuMs();
  auto [envelope_seal, envelope_open] = EnvelopeRates();

  DaemonProcess alice(inmostd, "alice"), bob(inmostd, "bob");
  alice.Start();
  bob.Start();
  Pair(alice, bob);
  long idle_a = alice.ResidentKiB(), idle_b = bob.ResidentKiB();

  // Latency of one message on an idle link: send on alice, event on bob.
  Client sender = alice.Connect();
  Client watcher = bob.Connect();
  control::Request subscribe;
  subscribe.mutable_subscribe();
  Check(watcher.Call(subscribe).status(), "subscribe");
  std::vector<double> latencies;
  for (int i = 0; i < kLatencySamples; ++i) {
    auto start = Clock::now();
    Check(sender.Call(SendRequest(Text(i))).status(), "send");
    while (true) {
      auto event = watcher.NextEvent(5000);
      Check(event.status(), "waiting for delivery");
      if (event->has_message_received()) break;
    }
    latencies.push_back(Seconds(Clock::now() - start) * 1000.0);
  }

  // An envelope whose time has come: offer, key release and opening at bob.
  std::vector<double> envelope_latencies;
  for (int i = 0; i < kLatencySamples / 3; ++i) {
    control::Request sealed = SendRequest(Text(i));
    sealed.mutable_send()->set_open_at_unix_ms(1);  // Long past: released at once.
    auto start = Clock::now();
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

  // Throughput: many sends in flight from several connections; done when alice
  // has no unacknowledged message left (bob has synced every one).
  auto start = Clock::now();
  std::vector<std::thread> threads;
  std::atomic<long> peak_kib_a{0}, peak_kib_b{0};
  for (int t = 0; t < kSenderThreads; ++t) {
    threads.emplace_back([&, t] {
      Client c = alice.Connect();
      int in_flight = 0;
      for (int i = t; i < kThroughputMessages; i += kSenderThreads) {
        Check(c.Post(SendRequest(Text(i))).status(), "send");
        if (++in_flight < kPipelineDepth) continue;
        auto reply = c.ReadResponse();
        Check(reply.status(), "send reply");
        --in_flight;
      }
      for (; in_flight > 0; --in_flight) Check(c.ReadResponse().status(), "send reply");
    });
  }
  for (auto& th : threads) th.join();
  control::Request status;
  status.mutable_status();
  while (true) {
    peak_kib_a = std::max(peak_kib_a.load(), alice.ResidentKiB());
    peak_kib_b = std::max(peak_kib_b.load(), bob.ResidentKiB());
    auto s = sender.Call(status);
    Check(s.status(), "status");
    if (s->status().unacknowledged() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  double rate = kThroughputMessages / Seconds(Clock::now() - start);

  rows.push_back({"raw LevelDB synced put (single)", single_put, "ops/s", "ceiling"});
  rows.push_back({"raw LevelDB synced batch of 100", batch_put, "values/s", "ceiling"});
  rows.push_back({"raw ChaCha20-Poly1305 seal, 256 B", seal, "msgs/s", "ceiling"});
  rows.push_back({"Noise KK handshake CPU per side", kk_ms, "ms", "target < 1"});
  rows.push_back({"envelope seal (key, AEAD, commitment), 256 B", envelope_seal, "envs/s", ""});
  rows.push_back({"envelope open (AEAD, commitment check), 256 B", envelope_open, "envs/s", ""});
  rows.push_back({"durable delivered msgs, 256 B, 4 x 128 in flight", rate, "msgs/s",
                  "target >= 50000; " + std::to_string(static_cast<int>(100 * rate / batch_put)) +
                      "% of raw batch rate"});
  rows.push_back({"send-to-receive latency p50 (idle link)", Percentile(latencies, 0.50), "ms",
                  "target < 1.5"});
  rows.push_back(
      {"send-to-receive latency p99 (idle link)", Percentile(latencies, 0.99), "ms", "target < 5"});
  rows.push_back({"due envelope: send to opened at recipient p50",
                  Percentile(envelope_latencies, 0.50), "ms", "offer + key release + open"});
  rows.push_back({"due envelope: send to opened at recipient p99",
                  Percentile(envelope_latencies, 0.99), "ms", ""});
  rows.push_back({"idle resident memory, alice", idle_a / 1024.0, "MiB", "target < 16"});
  rows.push_back({"idle resident memory, bob", idle_b / 1024.0, "MiB", "target < 16"});
  rows.push_back({"loaded resident memory (peak seen), alice", peak_kib_a / 1024.0, "MiB", ""});
  rows.push_back({"loaded resident memory (peak seen), bob", peak_kib_b / 1024.0, "MiB", ""});
  return rows;
}

}  // namespace
}  // namespace inmost::bench

int main(int argc, char** argv) {
  using namespace inmost;
  using namespace inmost::bench;
  const std::string section = argc > 1 ? argv[1] : "all";
  if (argc > 2 ||
      (section != "all" && section != "link" && section != "history" && section != "files")) {
    std::fprintf(stderr, "usage: inmost_bench [all|link|history|files]\n");
    return 2;
  }
  if (sodium_init() < 0) return 1;
  std::string inmostd = std::string(INMOST_BUILD_DIR) + "/daemon/inmostd";
  std::vector<Row> rows;
  if (section == "all" || section == "link") rows = LinkRows(inmostd);
  if (section == "all" || section == "files") {
    std::vector<Row> files = FileRows(inmostd);
    rows.insert(rows.end(), files.begin(), files.end());
    std::vector<Row> storage = ChunkStorageRows();
    rows.insert(rows.end(), storage.begin(), storage.end());
  }
  if (section == "all" || section == "history") {
    std::vector<Row> history = LargeHistoryRows(inmostd, INMOST_BUILD_DIR);
    rows.insert(rows.end(), history.begin(), history.end());
  }
  Print(rows);
  return 0;
}
