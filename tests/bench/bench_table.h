// Percentiles of a benchmark's samples, shared by scripts/bench's sections. It only
// computes; every figure comes from the section that measured it (figures.h).
#pragma once

#include <algorithm>
#include <vector>

namespace inmost::bench {

// The value below which a fraction `p` of the samples lie.
inline double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace inmost::bench
