// Hooks that let the integration tests drive a daemon in ways no user should: built
// in only when CMake is configured with -DINMOST_TEST_HOOKS=ON (scripts/test does),
// and read from the environment, never from the command line or the config file,
// so `inmostd --help` shows none. A build without them ignores the variables.
//
//   INMOST_TEST_CLOCK_OFFSET_MS  shifts the daemon's wall clock by this many
//                                milliseconds (negative: back), so a test can start a
//                                daemon "in the future" to check invite expiry and
//                                the time-based release of sealed envelopes.
//   INMOST_TEST_NOISE_KEY_LOG    a file to which every Noise session appends its two
//                                transport keys as it starts (one line, "send receive"
//                                in hex), as SSLKEYLOGFILE does for TLS: a test looks
//                                for a closed session's keys in a core of the daemon.
//                                It writes keys to disk: never in a real build.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "daemon/noise/handshake_state.h"
#include "inmost/status.h"

namespace inmost::config {

inline constexpr char kTestClockOffsetVariable[] = "INMOST_TEST_CLOCK_OFFSET_MS";
inline constexpr char kTestNoiseKeyLogVariable[] = "INMOST_TEST_NOISE_KEY_LOG";

// Whether this build honours the test hooks (-DINMOST_TEST_HOOKS=ON).
bool TestHooksBuilt();

// The clock offset the environment asks for, read through `getenv`: 0 when the
// variable is unset or empty, and always 0 in a build without test hooks.
// InvalidArgument for a value that is not a whole number of milliseconds within
// 100 years either way.
Result<int64_t> TestClockOffsetMs(const std::function<const char*(const char*)>& getenv);

// Appends `keys` to the file $INMOST_TEST_NOISE_KEY_LOG names, if any. Does nothing in
// a build without test hooks; a file that cannot be written is skipped silently (the
// test that asked for it then finds no keys and fails).
void AppendNoiseKeyLog(const noise::TransportKeys& keys);

// Reads a CipherState's key for AppendNoiseKeyLog, its friend; nothing else may.
class NoiseKeyLog {
 public:
  static std::span<const uint8_t> KeyOf(const noise::CipherState& cipher) {
    return cipher.key_.span();
  }
};

}  // namespace inmost::config
