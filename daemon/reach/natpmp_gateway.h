// NAT-PMP (RFC 6886) through libnatpmp: the default gateway asked over UDP port 5351.
// Blocking, like every Gateway (gateway.h).
#pragma once

#include <chrono>
#include <memory>

#include "daemon/reach/gateway.h"
#include "inmost/status.h"

namespace inmost::reach {

// The default gateway, if it answers a NAT-PMP external-address request within
// `timeout`; Unavailable when it does not (or there is no default gateway).
Result<std::unique_ptr<Gateway>> DiscoverNatPmpGateway(std::chrono::milliseconds timeout);

}  // namespace inmost::reach
