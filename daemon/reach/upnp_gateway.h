// UPnP-IGD through libminiupnpc: the router found by an SSDP search on the local
// network, asked over HTTP/SOAP. Blocking, like every Gateway (gateway.h).
#pragma once

#include <chrono>
#include <memory>

#include "daemon/reach/gateway.h"
#include "inmost/status.h"

namespace inmost::reach {

// The first connected Internet Gateway Device that answers an SSDP search within
// `timeout`; Unavailable when none does.
Result<std::unique_ptr<Gateway>> DiscoverUpnpGateway(std::chrono::milliseconds timeout);

}  // namespace inmost::reach
