// The resource limits of the control socket, one struct so the daemon's config and
// the tests can tighten them. A limit is enforced per client, never by blocking
// the daemon: a client that breaks one is answered (when it can be) and dropped.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

namespace inmost::control {

struct ControlLimits {
  // The largest request accepted: a protobuf frame's length prefix or a JSON line.
  size_t max_request_bytes = 1 << 20;
  // Clients connected at once; one more is told so in one JSON line and closed.
  size_t max_clients = 64;
  // Replies and events queued for a client that does not read; past this the
  // client is disconnected (a single reply larger than this is still sent whole).
  size_t max_queued_output_bytes = 8 << 20;
  // The same for all clients together, so that many slow readers cannot hold more:
  // past it the client with the most output queued is disconnected.
  size_t max_total_queued_output_bytes = 8 << 20;
  // Requests from one client handled at once (a client may pipeline them); replies
  // still come in request order. Past this the client's further requests wait.
  size_t max_requests_in_flight = 256;
  // How long a client may stay silent in the middle of a request. A client with
  // no partial request may stay idle for ever (subscribers wait for hours).
  std::chrono::milliseconds partial_request_timeout = std::chrono::seconds(30);
};

// The bytes queued for all the clients of one server (see
// max_total_queued_output_bytes); shared by its sessions. Past the total, the
// server drops the slowest reader: of the clients with output queued, the one that
// has taken none of it for longest (most bytes queued breaks a tie), so a client
// that never reads goes before one that reads but is behind.
struct OutputBudget {
  size_t queued = 0;
  std::function<void()> drop_slowest_reader;
};

}  // namespace inmost::control
