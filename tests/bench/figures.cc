#include "tests/bench/figures.h"

#include <algorithm>
#include <cmath>

namespace inmost::bench {
namespace {

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char text[40];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

// Four significant figures, wide enough for a column.
std::string Short(double value) {
  char text[40];
  if (!std::isfinite(value)) return "-";
  if (std::fabs(value) >= 1e6) {
    std::snprintf(text, sizeof text, "%.4g", value);
  } else if (std::fabs(value) >= 100) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.3g", value);
  }
  return text;
}

}  // namespace

double Figure::Median() const {
  if (samples.empty()) return NAN;
  std::vector<double> v = samples;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Figure::Min() const {
  return samples.empty() ? NAN : *std::min_element(samples.begin(), samples.end());
}

double Figure::Max() const {
  return samples.empty() ? NAN : *std::max_element(samples.begin(), samples.end());
}

Figure& Figures::Add(const std::string& name, const std::string& unit, Kind kind, Better better,
                     double sample, const std::string& ceiling, const std::string& note) {
  auto it = std::find_if(figures_.begin(), figures_.end(),
                         [&](const Figure& f) { return f.name == name; });
  if (it == figures_.end()) {
    figures_.push_back({name, unit, kind, better, ceiling, note, std::nullopt, {}});
    it = figures_.end() - 1;
  }
  it->samples.push_back(sample);
  if (!note.empty()) it->note = note;
  return *it;
}

void Figures::Ceiling(const std::string& name, const std::string& unit, Better better,
                      double sample, const std::string& note) {
  Add(name, unit, Kind::kCeiling, better, sample, "", note);
}

void Figures::Inmost(const std::string& name, const std::string& unit, Better better, double sample,
                     const std::string& ceiling, const std::string& note) {
  Add(name, unit, Kind::kInmost, better, sample, ceiling, note);
}

void Figures::SetInFlight(const std::string& name, int in_flight) {
  for (auto& f : figures_) {
    if (f.name == name) f.in_flight = in_flight;
  }
}

const Figure* Figures::Find(const std::string& name) const {
  for (const auto& f : figures_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

double Figures::MedianOf(const std::string& name) const {
  const Figure* f = Find(name);
  return f == nullptr ? 0 : f->Median();
}

void Figures::Print(std::FILE* out) const {
  std::fprintf(out, "%-58s %10s %-8s %-19s %10s %7s  %s\n", "figure (median of repetitions)",
               "value", "unit", "spread (min-max) n", "ceiling", "ratio", "ceiling name / note");
  for (const auto& f : figures_) {
    const std::string spread =
        Short(f.Min()) + "-" + Short(f.Max()) + " " + std::to_string(f.samples.size());
    std::string ceiling = "", ratio = "", what = f.kind == Kind::kCeiling ? "(ceiling)" : "";
    if (const Figure* c = f.ceiling_name.empty() ? nullptr : Find(f.ceiling_name)) {
      ceiling = Short(c->Median());
      ratio = Short(f.Median() / c->Median()) + "x";
      what = c->name;
    }
    if (!f.note.empty()) what += (what.empty() ? "" : "; ") + f.note;
    std::fprintf(out, "%-58s %10s %-8s %-19s %10s %7s  %s\n", f.name.c_str(),
                 Short(f.Median()).c_str(), f.unit.c_str(), spread.c_str(), ceiling.c_str(),
                 ratio.c_str(), what.c_str());
  }
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Figures::Json(const std::string& machine) const {
  std::string out =
      "{\n  \"schema\": \"inmost-bench/1\",\n  \"machine\": " + machine + ",\n  \"figures\": [";
  for (size_t i = 0; i < figures_.size(); ++i) {
    const Figure& f = figures_[i];
    const Figure* c = f.ceiling_name.empty() ? nullptr : Find(f.ceiling_name);
    std::string samples;
    for (double s : f.samples) samples += (samples.empty() ? "" : ", ") + JsonNumber(s);
    out += std::string(i == 0 ? "" : ",") + "\n    {\"name\": " + JsonString(f.name) +
           ", \"kind\": " + (f.kind == Kind::kCeiling ? "\"ceiling\"" : "\"inmost\"") +
           ", \"unit\": " + JsonString(f.unit) +
           ", \"better\": " + (f.better == Better::kHigher ? "\"higher\"" : "\"lower\"") +
           ", \"value\": " + JsonNumber(f.Median()) + ", \"median\": " + JsonNumber(f.Median()) +
           ", \"spread\": {\"min\": " + JsonNumber(f.Min()) + ", \"max\": " + JsonNumber(f.Max()) +
           "}, \"samples\": [" + samples +
           "], \"repetitions\": " + std::to_string(f.samples.size()) +
           ", \"ceiling\": " + (c ? JsonNumber(c->Median()) : "null") +
           ", \"ceiling_name\": " + (c ? JsonString(c->name) : "null") +
           ", \"ratio\": " + (c ? JsonNumber(f.Median() / c->Median()) : "null") +
           ", \"in_flight\": " + (f.in_flight ? std::to_string(*f.in_flight) : "null") +
           ", \"note\": " + JsonString(f.note) + "}";
  }
  return out + "\n  ]\n}\n";
}

}  // namespace inmost::bench
