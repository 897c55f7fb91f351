#include "inmost/data_dir.h"

#include <cstdlib>

namespace inmost {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

Result<std::string> DefaultDataDir() {
  if (std::string dir = Env("INMOST_DATA_DIR"); !dir.empty()) return dir;
  // The XDG spec says relative paths in its variables are invalid and to be ignored.
  if (std::string xdg = Env("XDG_DATA_HOME"); !xdg.empty() && xdg.front() == '/') {
    return xdg + "/inmost";
  }
  if (std::string home = Env("HOME"); !home.empty()) return home + "/.local/share/inmost";
  return FailedPrecondition(
      "cannot find the data directory: set INMOST_DATA_DIR or HOME, or pass --data-dir");
}

std::string ControlSocketPath(const std::string& data_dir) {
  if (!data_dir.empty() && data_dir.back() == '/') return data_dir + "control.sock";
  return data_dir + "/control.sock";
}

}  // namespace inmost
