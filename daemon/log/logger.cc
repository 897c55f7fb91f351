#include "daemon/log/logger.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace inmost::log {
namespace {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarning:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "?";
}

}  // namespace

bool ParseLevel(std::string_view name, Level* level) {
  if (name == "debug")
    *level = Level::kDebug;
  else if (name == "info")
    *level = Level::kInfo;
  else if (name == "warning")
    *level = Level::kWarning;
  else if (name == "error")
    *level = Level::kError;
  else
    return false;
  return true;
}

void Logger::Write(Level level, std::string_view line) {
  if (level < min_level_) return;
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char full[48];
  std::snprintf(full, sizeof full, "%s.%03dZ", stamp, static_cast<int>(millis.count()));
  out_ << full << ' ' << LevelName(level) << ' ' << line << '\n';
  out_.flush();
}

}  // namespace inmost::log
