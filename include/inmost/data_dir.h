// Where a daemon keeps its data and where a client finds it: the default data
// directory and the control socket inside it. The daemon's store::DataDir builds
// on these, so the rule lives in one place. It only computes paths.
#pragma once

#include <cstdlib>
#include <functional>
#include <string>

#include "inmost/status.h"

namespace inmost {

// Reads an environment variable; returns null when it is unset.
using GetEnv = std::function<const char*(const char*)>;

// The data directory to use when none is given: $INMOST_DATA_DIR, else
// $XDG_DATA_HOME/inmost, else $HOME/.local/share/inmost. Empty variables count as
// unset and a relative $XDG_DATA_HOME is ignored (the XDG spec calls it invalid);
// fails when none applies. `getenv` lets tests supply their own environment.
inline Result<std::string> DefaultDataDir(const GetEnv& getenv = [](const char* name) {
  return std::getenv(name);
}) {
  auto env = [&](const char* name) {
    const char* value = getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  if (std::string dir = env("INMOST_DATA_DIR"); !dir.empty()) return dir;
  if (std::string xdg = env("XDG_DATA_HOME"); !xdg.empty() && xdg.front() == '/') {
    return xdg + "/inmost";
  }
  if (std::string home = env("HOME"); !home.empty()) return home + "/.local/share/inmost";
  return FailedPrecondition(
      "cannot choose a data directory: none of INMOST_DATA_DIR, XDG_DATA_HOME or HOME is "
      "set; set INMOST_DATA_DIR or pass --data-dir");
}

// The daemon's control socket in `data_dir`.
inline std::string ControlSocketPath(const std::string& data_dir) {
  if (!data_dir.empty() && data_dir.back() == '/') return data_dir + "control.sock";
  return data_dir + "/control.sock";
}

}  // namespace inmost
