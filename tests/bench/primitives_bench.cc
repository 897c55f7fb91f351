#include "tests/bench/primitives_bench.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/bench/daemon_process.h"
#include "tests/bench/durable_model.h"

namespace inmost::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t k64KiB = 64 * 1024;
constexpr int kBatchSize = 100;
constexpr size_t kLevelDbValueBytes = 256 + 40;  // A message and its envelope fields.

// Calls `op(i)` in rounds until `seconds` have passed, on this one thread; ops/s.
template <typename Op>
double Rate(double seconds, Op op) {
  constexpr int kRound = 32;
  const auto start = Clock::now();
  long done = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < kRound; ++i) op(done + i);
    done += kRound;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(done) / elapsed;
}

struct Aead {
  const char* name;
  size_t npub;
  int (*seal)(unsigned char*, unsigned long long*, const unsigned char*, unsigned long long,
              const unsigned char*, unsigned long long, const unsigned char*, const unsigned char*,
              const unsigned char*);
  int (*open)(unsigned char*, unsigned long long*, unsigned char*, const unsigned char*,
              unsigned long long, const unsigned char*, unsigned long long, const unsigned char*,
              const unsigned char*);
};

// Seal and open rates of `bytes`-byte messages (with `ad_bytes` of associated data).
std::pair<double, double> AeadRates(const Aead& aead, size_t bytes, size_t ad_bytes,
                                    double seconds) {
  std::vector<uint8_t> key(32, 7), nonce(aead.npub, 1), ad(ad_bytes, 'h'), plain(bytes, 'p');
  std::vector<uint8_t> sealed(bytes + 16);
  const double seal = Rate(seconds, [&](long i) {
    nonce[0] = static_cast<uint8_t>(i);
    aead.seal(sealed.data(), nullptr, plain.data(), plain.size(), ad.data(), ad.size(), nullptr,
              nonce.data(), key.data());
  });
  nonce[0] = 0;
  aead.seal(sealed.data(), nullptr, plain.data(), plain.size(), ad.data(), ad.size(), nullptr,
            nonce.data(), key.data());
  const double open = Rate(seconds, [&](long) {
    if (aead.open(plain.data(), nullptr, nullptr, sealed.data(), sealed.size(), ad.data(),
                  ad.size(), nonce.data(), key.data()) != 0) {
      Check(Corruption("a sealed test message did not open"), "AEAD rate");
    }
  });
  return {seal, open};
}

double Blake2bRate(size_t bytes, double seconds) {
  std::vector<uint8_t> in(bytes, 'b'), out(crypto_generichash_BYTES_MAX);
  return Rate(seconds, [&](long i) {
    in[0] = static_cast<uint8_t>(i);
    crypto_generichash(out.data(), out.size(), in.data(), in.size(), nullptr, 0);
  });
}

double LevelDbBatchRate(int batches, const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir.parent_path());
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* raw = nullptr;
  Check(leveldb::DB::Open(options, dir.string(), &raw).ok() ? Status() : IoError("leveldb open"),
        "leveldb");
  std::unique_ptr<leveldb::DB> db(raw);
  leveldb::WriteOptions sync;
  sync.sync = true;
  const std::string value(kLevelDbValueBytes, 'x');
  const auto start = Clock::now();
  for (int b = 0; b < batches; ++b) {
    leveldb::WriteBatch batch;
    for (int i = 0; i < kBatchSize; ++i) batch.Put("b" + std::to_string(b * kBatchSize + i), value);
    db->Write(sync, &batch);
  }
  const double rate =
      batches * kBatchSize / std::chrono::duration<double>(Clock::now() - start).count();
  db.reset();
  std::filesystem::remove_all(dir);
  return rate;
}

}  // namespace

void MeasurePrimitives(const PrimitiveBudget& budget, const std::filesystem::path& dir,
                       Figures& figures) {
  const double s = budget.seconds_per_rate;
  const Aead xchacha{"XChaCha20-Poly1305", crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                     crypto_aead_xchacha20poly1305_ietf_encrypt,
                     crypto_aead_xchacha20poly1305_ietf_decrypt};
  const Aead chacha{"ChaCha20-Poly1305 IETF", crypto_aead_chacha20poly1305_ietf_NPUBBYTES,
                    crypto_aead_chacha20poly1305_ietf_encrypt,
                    crypto_aead_chacha20poly1305_ietf_decrypt};
  const double mb = static_cast<double>(k64KiB) / 1e6;
  double chacha_seal_64k = 0, chacha_handshake = 0;
  for (const Aead* aead : {&xchacha, &chacha}) {
    const std::string name = std::string("primitive: ") + aead->name;
    auto [seal256, open256] = AeadRates(*aead, 256, 0, s);
    auto [seal64k, open64k] = AeadRates(*aead, k64KiB, 0, s);
    figures.Ceiling(name + " seal, 256 B", "ops/s", Better::kHigher, seal256, "one core");
    figures.Ceiling(name + " open, 256 B", "ops/s", Better::kHigher, open256, "one core");
    figures.Ceiling(name + " seal, 64 KiB", "MB/s", Better::kHigher, seal64k * mb, "one core");
    figures.Ceiling(name + " open, 64 KiB", "MB/s", Better::kHigher, open64k * mb, "one core");
    if (aead == &chacha) {
      chacha_seal_64k = seal64k * mb;
      // A handshake message's payload: empty, the 64-byte hash h as its AD.
      chacha_handshake = AeadRates(*aead, 0, 64, s).first;
      figures.Ceiling(name + " seal, 0 B + 64 B AD", "ops/s", Better::kHigher, chacha_handshake,
                      "a handshake payload");
    } else {
      // The history's messages: about 100 B, a key-sized AD.
      figures.Ceiling(kXOpen100, "ops/s", Better::kHigher, AeadRates(*aead, 100, 10, s).second,
                      "one core");
    }
  }

  std::vector<uint8_t> scalar(32, 9), point(32), out(32);
  crypto_scalarmult_base(point.data(), scalar.data());
  int failed = 0;
  const double dh = Rate(s, [&](long i) {
    scalar[0] = static_cast<uint8_t>(i | 8);
    failed |= crypto_scalarmult(out.data(), scalar.data(), point.data());
  });
  if (failed != 0) Check(Corruption("X25519 with a valid point failed"), "X25519 rate");
  const double keygen = Rate(s, [&](long i) {
    scalar[0] = static_cast<uint8_t>(i | 8);
    crypto_scalarmult_base(out.data(), scalar.data());
  });
  const double b2b64 = Blake2bRate(64, s), b2b192 = Blake2bRate(192, s);
  figures.Ceiling("primitive: X25519 (crypto_scalarmult)", "ops/s", Better::kHigher, dh,
                  "one core");
  figures.Ceiling("primitive: X25519 key pair (crypto_scalarmult_base)", "ops/s", Better::kHigher,
                  keygen, "one core");
  figures.Ceiling("primitive: BLAKE2b-512 of 64 B", "ops/s", Better::kHigher, b2b64, "one core");
  figures.Ceiling("primitive: BLAKE2b-512 of 192 B", "ops/s", Better::kHigher, b2b192,
                  "one core; an HMAC half");

  // Noise_KK_25519_ChaChaPoly_BLAKE2b, per side, as handshake_state.cc does it with
  // empty payloads (the bench's handshake), Split not included:
  //   X25519: 1 key pair (e) + 4 DH (es, ss, ee, se)
  //   BLAKE2b: 4 MixKey x HKDF2 (3 HMACs of 2 hashes of ~192 B each) = 24 of 192 B,
  //            7 MixHash (prologue, 2 pre-message s, 2 e, 2 payload ciphertexts) of ~96 B
  //   AEAD: 2 (its own payload sealed, the peer's opened): empty, 64 B of AD.
  // so  t = 1/keygen + 4/dh + 24/b2b192 + 7/b2b64 + 2/aead_empty.
  const double kk_ms =
      1000.0 * (1 / keygen + 4 / dh + 24 / b2b192 + 7 / b2b64 + 2 / chacha_handshake);
  figures.Ceiling(kKkPrimitivesMs, "ms", Better::kLower, kk_ms,
                  "1 key pair + 4 X25519 + 31 BLAKE2b + 2 AEAD");

  figures.Ceiling(kLevelDbBatch, "values/s", Better::kHigher,
                  LevelDbBatchRate(budget.leveldb_batches, dir / "leveldb"), "sync = true");
  const double disk = DiskAppendMegabytesPerSecond(k64KiB, 16, budget.disk_bytes, dir / "disk");
  figures.Ceiling(kDiskAppend, "MB/s", Better::kHigher, disk, "write + fdatasync, one file");
  figures.Ceiling(kFileCeiling, "MB/s", Better::kHigher, std::min(chacha_seal_64k, disk),
                  "min of the two");
  std::filesystem::remove_all(dir);
}

}  // namespace inmost::bench
