// Hooks that let the integration tests drive a daemon in ways no user should: built
// in only when CMake is configured with -DINMOST_TEST_HOOKS=ON (scripts/test does),
// and read from the environment, never from the command line or the config file,
// so `inmostd --help` shows none. A build without them ignores the variables.
//
//   INMOST_TEST_CLOCK_OFFSET_MS  shifts the daemon's wall clock by this many
//                                milliseconds (negative: back), so a test can start a
//                                daemon "in the future" to check invite expiry and
//                                the time-based release of sealed envelopes.
#pragma once

#include <cstdint>
#include <functional>

#include "inmost/status.h"

namespace inmost::config {

inline constexpr char kTestClockOffsetVariable[] = "INMOST_TEST_CLOCK_OFFSET_MS";

// Whether this build honours the test hooks (-DINMOST_TEST_HOOKS=ON).
bool TestHooksBuilt();

// The clock offset the environment asks for, read through `getenv`: 0 when the
// variable is unset or empty, and always 0 in a build without test hooks.
// InvalidArgument for a value that is not a whole number of milliseconds within
// 100 years either way.
Result<int64_t> TestClockOffsetMs(const std::function<const char*(const char*)>& getenv);

}  // namespace inmost::config
