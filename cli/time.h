// Parses the points in time people type on the command line ("2027-02-14 09:00",
// "2027-02-14T09:00:00+01:00"). It only parses; it never decides whether a time
// is allowed (in the past, too far ahead): the daemon does.
#pragma once

#include <cstdint>
#include <string_view>

#include "inmost/status.h"

namespace inmost::cli {

// Unix milliseconds of `text`, one of
//   YYYY-MM-DD                       local midnight
//   YYYY-MM-DD HH:MM[:SS]            local time (a 'T' may replace the space)
//   YYYY-MM-DDTHH:MM[:SS[.fff]]Z     ISO 8601 in UTC
//   YYYY-MM-DDTHH:MM[:SS[.fff]]+HH:MM (or -HH:MM, +HHMM, +HH)   ISO 8601 with an offset
// Local time follows TZ (mktime). InvalidArgument for anything else, for dates that
// do not exist (2027-02-30) and for local times the clocks skip (a DST gap).
Result<int64_t> ParseTimeUnixMs(std::string_view text);

// Ok when `text` is a date written YYYY-MM-DD that exists; InvalidArgument if not.
Status CheckDate(std::string_view text);

}  // namespace inmost::cli
