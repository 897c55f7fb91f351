#include "daemon/peer/candidate_history.h"

#include <algorithm>
#include <utility>

namespace inmost::peer {

std::vector<std::string> CandidateHistory::Pick(const std::vector<std::string>& candidates,
                                                core::SteadyTime now) {
  std::erase_if(records_, [&](const auto& entry) {
    return std::find(candidates.begin(), candidates.end(), entry.first) == candidates.end();
  });
  std::vector<std::string> picked;
  for (const auto& candidate : candidates) {
    const auto found = records_.find(candidate);
    const bool stale = found != records_.end() && now - found->second.failing_since >= kStaleAfter;
    if (!stale || now - found->second.last_try >= kStaleRetry) picked.push_back(candidate);
  }
  return picked.empty() ? candidates : picked;
}

void CandidateHistory::Failed(const std::string& candidate, core::SteadyTime now, std::string error,
                              int64_t now_unix_ms) {
  auto [record, added] =
      records_.try_emplace(candidate, Record{now, now, {}, now_unix_ms, now_unix_ms});
  record->second.last_try = now;
  record->second.last_try_unix_ms = now_unix_ms;
  record->second.last_error = std::move(error);
}

std::vector<DialFailureReport> CandidateHistory::Failures() const {
  std::vector<DialFailureReport> failures;
  for (const auto& [address, record] : records_) {
    failures.push_back(DialFailureReport{address, record.last_error, record.last_try_unix_ms,
                                         record.failing_since_unix_ms});
  }
  return failures;
}

}  // namespace inmost::peer
