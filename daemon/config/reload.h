// What a SIGHUP changes in a running inmostd. It re-reads the command line and the
// config file; the log level and the advertised addresses take effect at once, and
// every other option that changed is named, as it takes effect only at a restart.
// Comparing only: it applies nothing itself.
#pragma once

#include <string>
#include <vector>

#include "daemon/config/command_line.h"

namespace inmost::config {

struct ReloadPlan {
  log::Level log_level = log::Level::kInfo;  // Applied now.
  std::vector<std::string> advertise;        // Applied now (and told to the partner).
  std::string quiet_hours;                   // Applied now when not empty.
  std::vector<std::string> needs_restart;    // Options that changed but wait for a restart.
};

// What reloading means when `running` is what the daemon runs with and `reread` is
// the command line and config file read again.
ReloadPlan PlanReload(const Command& running, const Command& reread);

}  // namespace inmost::config
