#include "daemon/peer/candidate_history.h"

#include <algorithm>

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

void CandidateHistory::Failed(const std::string& candidate, core::SteadyTime now) {
  auto [record, added] = records_.try_emplace(candidate, Record{now, now});
  record->second.last_try = now;
}

}  // namespace inmost::peer
