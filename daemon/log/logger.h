// The one logging helper: one line per event on stderr, with UTC time and level.
// Never pass it a key, a secret or message content; log ids, sizes and reasons.
#pragma once

#include <ostream>
#include <string_view>

namespace inmost::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Parses "debug", "info", "warning" or "error"; false if `name` is none of them.
bool ParseLevel(std::string_view name, Level* level);

// Writes timestamped lines at or above a minimum level to a stream (stderr in the
// daemon). Not thread-safe: the daemon logs from its one io_context thread.
class Logger {
 public:
  explicit Logger(std::ostream& out, Level min_level = Level::kInfo)
      : out_(out), min_level_(min_level) {}

  void set_min_level(Level level) { min_level_ = level; }
  // Whether a line at `level` would be written: lets a hot path skip building a line
  // nobody reads (a debug line per dropped hello, in a flood).
  bool enabled(Level level) const { return level >= min_level_; }

  void Debug(std::string_view line) { Write(Level::kDebug, line); }
  void Info(std::string_view line) { Write(Level::kInfo, line); }
  void Warning(std::string_view line) { Write(Level::kWarning, line); }
  void Error(std::string_view line) { Write(Level::kError, line); }

 private:
  void Write(Level level, std::string_view line);

  std::ostream& out_;
  Level min_level_;
};

}  // namespace inmost::log
