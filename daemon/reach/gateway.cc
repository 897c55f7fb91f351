#include "daemon/reach/gateway.h"

#include "daemon/reach/natpmp_gateway.h"
#include "daemon/reach/upnp_gateway.h"

namespace inmost::reach {

Result<std::unique_ptr<Gateway>> DiscoverGateway(std::chrono::milliseconds timeout) {
  auto upnp = DiscoverUpnpGateway(timeout);
  if (upnp.ok()) return upnp;
  auto natpmp = DiscoverNatPmpGateway(timeout);
  if (natpmp.ok()) return natpmp;
  return Unavailable("no router answered (UPnP-IGD: " + upnp.status().message() +
                     "; NAT-PMP: " + natpmp.status().message() + ")");
}

}  // namespace inmost::reach
