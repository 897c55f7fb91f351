#include "daemon/core/stream_lineage.h"

#include <sodium.h>

#include <algorithm>
#include <vector>

namespace inmost::core {
namespace {

// The incarnation that wrote `seq` in `lineage` (the last one that started at or
// before it), or nullptr when the list does not reach back that far.
const std::string* WriterOf(const Lineage& lineage, uint64_t seq) {
  const std::string* writer = nullptr;
  for (const auto& epoch : lineage) {
    if (epoch.first_seq() > seq) break;
    writer = &epoch.id();
  }
  return writer;
}

}  // namespace

uint64_t AgreedSeq(const Lineage& mine, uint64_t last_seq, const Lineage& held, uint64_t held_seq) {
  uint64_t limit = std::min(last_seq, held_seq);
  // Both lists are constant between their incarnations' first seqs: comparing the
  // writers at those points is comparing them everywhere.
  std::vector<uint64_t> points;
  for (const auto* list : {&mine, &held}) {
    for (const auto& epoch : *list) {
      if (epoch.first_seq() >= 1 && epoch.first_seq() <= limit) points.push_back(epoch.first_seq());
    }
  }
  std::sort(points.begin(), points.end());
  for (uint64_t seq : points) {
    const std::string* a = WriterOf(mine, seq);
    const std::string* b = WriterOf(held, seq);
    // A side that no longer lists that far back cannot disagree.
    if (a != nullptr && b != nullptr && *a != *b) return seq - 1;
  }
  return limit;
}

Lineage Splice(const Lineage& mine, uint64_t agreed, const Lineage& held, uint64_t held_seq) {
  Lineage out;
  for (const auto& epoch : mine) {
    if (epoch.first_seq() <= agreed) *out.Add() = epoch;
  }
  for (const auto& epoch : held) {
    if (epoch.first_seq() > held_seq) break;
    uint64_t first = std::max(epoch.first_seq(), agreed + 1);
    // The part of `held` before `agreed` is already in `out` (the two agree there).
    bool covers_range = epoch.first_seq() > agreed || (WriterOf(held, agreed + 1) == &epoch.id());
    if (!covers_range) continue;
    if (!out.empty() && out.rbegin()->id() == epoch.id()) continue;
    auto* added = out.Add();
    added->set_id(epoch.id());
    added->set_first_seq(first);
  }
  return out;
}

void Trim(Lineage& lineage) {
  if (lineage.size() > kMaxLineageEpochs) {
    lineage.DeleteSubrange(0, lineage.size() - kMaxLineageEpochs);
  }
}

std::string NewEpochId() {
  std::string id(kEpochIdBytes, '\0');
  randombytes_buf(id.data(), id.size());
  return id;
}

}  // namespace inmost::core
