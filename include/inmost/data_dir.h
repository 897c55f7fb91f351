// Where a client finds the daemon: the default data directory and the control
// socket inside it. It only computes paths; it never creates or reads anything.
#pragma once

#include <string>

#include "inmost/status.h"

namespace inmost {

// The data directory to use when none is given: $INMOST_DATA_DIR, else
// $XDG_DATA_HOME/inmost, else $HOME/.local/share/inmost. Empty variables count as
// unset and a relative $XDG_DATA_HOME is ignored; fails when none applies.
Result<std::string> DefaultDataDir();

// The daemon's control socket in `data_dir`: data_dir + "/control.sock".
std::string ControlSocketPath(const std::string& data_dir);

}  // namespace inmost
