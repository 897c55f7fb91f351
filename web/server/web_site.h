// What every connection of one `inmost web` run shares: the gate, the daemon's
// control socket and the log. It holds no connection's state, and the log never
// gets a token, a request's query or a message.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "web/server/web_gate.h"

namespace inmost::web {

struct WebSite {
  WebGate gate;
  std::string control_socket;
  std::ostream& log;
  uint64_t connections = 0;     // Numbers the connections in log lines.
  size_t open_connections = 0;  // HTTP connections and WebSockets being served now.

  void Log(std::string_view line) { log << "inmost web: " << line << std::endl; }
};

}  // namespace inmost::web
