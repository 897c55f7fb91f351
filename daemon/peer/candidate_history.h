// How each of the partner's addresses fared lately, so that the dialer tries one that
// has failed for a long time less often (an old home address, a port the router has
// forgotten) and spends its rounds on the ones that may work. An address is never
// forgotten while it is among the partner's: when every address is stale, all are
// tried. Pure bookkeeping on times passed in; it never dials or reads a clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "daemon/core/clock.h"

namespace inmost::peer {

// Failing this long without a success makes an address stale...
inline constexpr std::chrono::minutes kStaleAfter{10};
// ...and a stale one is tried at most this often.
inline constexpr std::chrono::minutes kStaleRetry{10};

// One address's last failure, as status displays show it (wall-clock times).
struct DialFailureReport {
  std::string address;
  std::string error;                  // Why the last attempt failed.
  int64_t at_unix_ms = 0;             // When that attempt started.
  int64_t failing_since_unix_ms = 0;  // Its first failure since it last worked.
};

class CandidateHistory {
 public:
  // The `candidates` worth a try at `now`, in their order: all but the stale ones tried
  // within kStaleRetry; all of them when that would leave none. Forgets what it knew of
  // addresses no longer among `candidates`.
  std::vector<std::string> Pick(const std::vector<std::string>& candidates, core::SteadyTime now);
  // An attempt on `candidate` started at `now` (`now_unix_ms` by the wall clock) and
  // failed with `error`.
  void Failed(const std::string& candidate, core::SteadyTime now, std::string error = {},
              int64_t now_unix_ms = 0);
  // The last failure of each address that has not worked since, in address order.
  std::vector<DialFailureReport> Failures() const;
  // An attempt on `candidate` completed its handshake: it is fresh again.
  void Succeeded(const std::string& candidate) { records_.erase(candidate); }

 private:
  struct Record {
    core::SteadyTime failing_since;  // The first failure since the last success.
    core::SteadyTime last_try;
    std::string last_error;
    int64_t last_try_unix_ms = 0;
    int64_t failing_since_unix_ms = 0;
  };
  std::map<std::string, Record> records_;
};

}  // namespace inmost::peer
