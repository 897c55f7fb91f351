#include "daemon/reach/gateway.h"

#include "daemon/reach/natpmp_gateway.h"
#include "daemon/reach/upnp_gateway.h"

namespace inmost::reach {

namespace {

Status NoPinholes(std::string_view protocol) {
  return Unsupported(std::string(protocol) + " cannot open IPv6 pinholes");
}

}  // namespace

Result<Pinhole> Gateway::OpenPinhole(const std::string&, uint16_t, std::chrono::seconds) {
  return NoPinholes(protocol());
}
Status Gateway::RenewPinhole(const Pinhole&, std::chrono::seconds) {
  return NoPinholes(protocol());
}
Result<bool> Gateway::PinholeOpen(const Pinhole&) { return NoPinholes(protocol()); }
Status Gateway::ClosePinhole(const Pinhole&) { return NoPinholes(protocol()); }

Result<std::unique_ptr<Gateway>> DiscoverGateway(std::chrono::milliseconds timeout) {
  auto upnp = DiscoverUpnpGateway(timeout);
  if (upnp.ok()) return upnp;
  auto natpmp = DiscoverNatPmpGateway(timeout);
  if (natpmp.ok()) return natpmp;
  return Unavailable("no router answered (UPnP-IGD: " + upnp.status().message() +
                     "; NAT-PMP: " + natpmp.status().message() + ")");
}

}  // namespace inmost::reach
