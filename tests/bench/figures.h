// Every figure scripts/bench measures: the samples of each repetition, the median and
// spread made of them, and for each of inmost's figures the ceiling it is printed
// beside, with the ratio. It only collects and formats; it measures nothing.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace inmost::bench {

// A ceiling is what this machine can do at best (a model or a primitive); an inmost
// figure is measured through real daemons (or inmost's own code) and has a ceiling
// when one bounds it.
enum class Kind { kCeiling, kInmost };
// Which way is good: messages per second up, milliseconds and mebibytes down.
enum class Better { kHigher, kLower };

struct Figure {
  std::string name;
  std::string unit;
  Kind kind = Kind::kInmost;
  Better better = Better::kHigher;
  std::string ceiling_name;      // Empty when nothing bounds it.
  std::string note;              // The last repetition's.
  std::optional<int> in_flight;  // For the figures of the in-flight sweep.
  std::vector<double> samples;   // One per repetition, in order.

  double Median() const;
  double Min() const;
  double Max() const;
};

class Figures {
 public:
  // Adds one repetition's sample of the ceiling `name`.
  void Ceiling(const std::string& name, const std::string& unit, Better better, double sample,
               const std::string& note = "");
  // Adds one repetition's sample of inmost's `name`, bounded by the figure `ceiling`
  // (empty: none).
  void Inmost(const std::string& name, const std::string& unit, Better better, double sample,
              const std::string& ceiling, const std::string& note = "");
  // Marks `name` as measured at `in_flight` (the sweep the plot draws).
  void SetInFlight(const std::string& name, int in_flight);

  // The median of the figure `name`, for a ceiling derived from it; 0 when absent.
  double MedianOf(const std::string& name) const;
  const Figure* Find(const std::string& name) const;
  const std::vector<Figure>& all() const { return figures_; }

  // The table: each figure's median, spread and repetitions, beside its ceiling
  // with the ratio value/ceiling.
  void Print(std::FILE* out) const;
  // The JSON document described in bench_main.cc; `machine` is a JSON object.
  std::string Json(const std::string& machine) const;

 private:
  Figure& Add(const std::string& name, const std::string& unit, Kind kind, Better better,
              double sample, const std::string& ceiling, const std::string& note);

  std::vector<Figure> figures_;  // In the order first measured.
};

// A JSON string literal of `text`.
std::string JsonString(const std::string& text);

}  // namespace inmost::bench
