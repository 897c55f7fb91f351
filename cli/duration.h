// Parses the durations people type on the command line ("30m", "24h", "7d",
// "1h30m"). It only parses; it never decides what a duration is allowed to be.
#pragma once

#include <cstdint>
#include <string_view>

#include "inmost/status.h"

namespace inmost::cli {

// Seconds in `text`: one or more NUMBER UNIT pairs, units s, m, h, d, w (a lone
// number is seconds). InvalidArgument for anything else, zero, or overflow.
Result<uint64_t> ParseDurationSeconds(std::string_view text);

}  // namespace inmost::cli
