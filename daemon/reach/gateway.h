// The home router as a program sees it: a gateway that forwards a port of its external
// address to this machine, for a lease (UPnP-IGD, upnp_gateway.h; NAT-PMP,
// natpmp_gateway.h), and, where its IPv6 firewall allows it, opens a pinhole that lets
// the internet reach a port of one of this machine's global IPv6 addresses. Every call blocks on the network for up to a few seconds, so
// they run on the port mapping's worker thread only (port_mapping.h), never on Asio's.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "inmost/status.h"

namespace inmost::reach {

inline constexpr char kUpnpIgd[] = "UPnP-IGD";
inline constexpr char kNatPmp[] = "NAT-PMP";

// One TCP port the router forwards: external_ip:external_port to internal_ip:internal_port.
struct PortMap {
  std::string protocol;  // kUpnpIgd or kNatPmp.
  std::string external_ip;
  uint16_t external_port = 0;
  std::string internal_ip;  // This machine's address on the router's side.
  uint16_t internal_port = 0;
  std::chrono::seconds lease{0};  // As granted: a router may shorten what was asked.
};

// One IPv6 pinhole: the router's firewall lets TCP connections from anywhere in to
// [address]:port until the lease ends.
struct Pinhole {
  std::string id;       // The router's name for it (UPnP: the UniqueID).
  std::string address;  // This machine's global IPv6 address, as text.
  uint16_t port = 0;
  std::chrono::seconds lease{0};  // As granted.
};

// The errors are values: Unavailable when the router did not answer (it may be gone,
// or restarting), FailedPrecondition when it answered no, both saying why.
class Gateway {
 public:
  virtual ~Gateway() = default;
  // kUpnpIgd or kNatPmp.
  virtual std::string_view protocol() const = 0;
  // The router's external IPv4 address, dotted.
  virtual Result<std::string> ExternalAddress() = 0;
  // Forwards a TCP port to `internal_port` here for `lease`, asking for external port
  // `wanted`; when that port is taken on the router, another one.
  virtual Result<PortMap> Map(uint16_t internal_port, uint16_t wanted,
                              std::chrono::seconds lease) = 0;
  // Whether the router still forwards `map` (false: it forgot it, as after a restart).
  virtual Result<bool> StillMapped(const PortMap& map) = 0;
  // Asks the router to drop `map`.
  virtual Status Unmap(const PortMap& map) = 0;

  // IPv6 pinholes. Unsupported when this router cannot open them (NAT-PMP, an IGDv1
  // router, a firewall that allows no inbound pinhole): the default.
  // Opens TCP `port` of `address` (a global IPv6 address of this machine) for `lease`.
  virtual Result<Pinhole> OpenPinhole(const std::string& address, uint16_t port,
                                      std::chrono::seconds lease);
  // Extends `pinhole`'s lease; NotFound when the router no longer has it.
  virtual Status RenewPinhole(const Pinhole& pinhole, std::chrono::seconds lease);
  // Whether the router still has `pinhole` (false: it forgot it, as after a restart).
  virtual Result<bool> PinholeOpen(const Pinhole& pinhole);
  // Asks the router to close `pinhole`.
  virtual Status ClosePinhole(const Pinhole& pinhole);
};

// The gateway that answers first in `timeout` each: UPnP-IGD (an SSDP search on the
// local network), else NAT-PMP (asking the default gateway). Unavailable, naming
// both, when neither answers.
Result<std::unique_ptr<Gateway>> DiscoverGateway(std::chrono::milliseconds timeout);

}  // namespace inmost::reach
