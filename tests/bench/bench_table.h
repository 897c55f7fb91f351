// The one table scripts/bench prints: a row per measure, each section adding its
// own. It only formats; every figure comes from the section that measured it.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace inmost::bench {

struct Row {
  std::string what;
  double value;
  std::string unit;
  std::string note;
};

inline void Print(const std::vector<Row>& rows) {
  std::printf("%-52s %14s  %-10s %s\n", "measure", "value", "unit", "note");
  for (const auto& r : rows) {
    std::printf("%-52s %14.2f  %-10s %s\n", r.what.c_str(), r.value, r.unit.c_str(),
                r.note.c_str());
  }
}

// The value below which a fraction `p` of the samples lie.
inline double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace inmost::bench
