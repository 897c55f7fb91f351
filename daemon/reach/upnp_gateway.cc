#include "daemon/reach/upnp_gateway.h"

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include <array>
#include <optional>
#include <string>

namespace inmost::reach {

namespace {

constexpr char kDescription[] = "inmost";
constexpr char kTcp[] = "TCP";
// UPnP error 718, ConflictInMappingEntry: the external port is taken by another host or port.
constexpr int kConflictInMappingEntry = 718;
// Ports tried after a conflict when the router has no AddAnyPortMapping (IGDv1).
constexpr int kOtherPortsToTry = 8;
// WANIPv6FirewallControl's protocol numbers and errors (UPnP IGD:2).
constexpr char kTcpNumber[] = "6";
constexpr char kAnyHost[] = "empty";  // libminiupnpc sends an empty RemoteHost: any.
constexpr char kAnyPort[] = "0";
constexpr int kActionNotAuthorized = 606;
constexpr int kNoSuchEntry = 704;
constexpr int kNoTrafficReceived = 709;  // CheckPinholeWorking: there, but unused yet.

std::string UpnpError(int code) {
  const char* text = strupnperror(code);
  return text ? std::string(text) + " (" + std::to_string(code) + ")"
              : "error " + std::to_string(code);
}

class UpnpGateway final : public Gateway {
 public:
  UpnpGateway(UPNPUrls urls, IGDdatas data, std::string lan_address,
              std::chrono::milliseconds timeout)
      : urls_(urls), data_(data), lan_address_(std::move(lan_address)), timeout_(timeout) {}
  ~UpnpGateway() override {
    FreeUPNPUrls(&urls_);
    if (urls6_) FreeUPNPUrls(&*urls6_);
  }
  UpnpGateway(const UpnpGateway&) = delete;
  UpnpGateway& operator=(const UpnpGateway&) = delete;

  std::string_view protocol() const override { return kUpnpIgd; }

  Result<std::string> ExternalAddress() override {
    std::array<char, 40> ip{};
    const int r = UPNP_GetExternalIPAddress(urls_.controlURL, data_.first.servicetype, ip.data());
    if (r != UPNPCOMMAND_SUCCESS) {
      return Unavailable("the router did not say its external address: " + UpnpError(r));
    }
    if (ip[0] == '\0') return FailedPrecondition("the router has no external address");
    return std::string(ip.data());
  }

  Result<PortMap> Map(uint16_t internal_port, uint16_t wanted,
                      std::chrono::seconds lease) override {
    auto external_ip = ExternalAddress();
    if (!external_ip.ok()) return external_ip.status();
    const std::string in_port = std::to_string(internal_port);
    const std::string lease_text = std::to_string(lease.count());
    int r = Add(std::to_string(wanted), in_port, lease_text);
    uint16_t external = wanted;
    if (r == kConflictInMappingEntry) {
      // The port is taken on the router: let it choose one (IGDv2), else try others.
      std::array<char, 6> reserved{};
      r = UPNP_AddAnyPortMapping(urls_.controlURL, data_.first.servicetype,
                                 std::to_string(wanted).c_str(), in_port.c_str(),
                                 lan_address_.c_str(), kDescription, kTcp, nullptr,
                                 lease_text.c_str(), reserved.data());
      if (r == UPNPCOMMAND_SUCCESS) {
        external = static_cast<uint16_t>(std::stoi(reserved.data()));
      } else {
        for (int i = 1; i <= kOtherPortsToTry && r != UPNPCOMMAND_SUCCESS; ++i) {
          // Spread over the registered range, away from the wanted port's neighbours.
          external = static_cast<uint16_t>(1024 + (wanted + i * 7919) % (65536 - 1024));
          r = Add(std::to_string(external), in_port, lease_text);
        }
      }
    }
    if (r != UPNPCOMMAND_SUCCESS) {
      return FailedPrecondition("the router refused to forward port " + std::to_string(wanted) +
                                ": " + UpnpError(r));
    }
    return PortMap{kUpnpIgd, *external_ip, external, lan_address_, internal_port, lease};
  }

  Result<bool> StillMapped(const PortMap& map) override {
    std::array<char, 40> client{};
    std::array<char, 6> port{};
    std::array<char, 80> description{};
    std::array<char, 4> enabled{};
    std::array<char, 16> lease{};
    const int r = UPNP_GetSpecificPortMappingEntry(
        urls_.controlURL, data_.first.servicetype, std::to_string(map.external_port).c_str(), kTcp,
        nullptr, client.data(), port.data(), description.data(), enabled.data(), lease.data());
    if (r == UPNPCOMMAND_SUCCESS) {
      return map.internal_ip == client.data() && std::to_string(map.internal_port) == port.data();
    }
    if (r > 0) return false;  // A UPnP error (714, NoSuchEntryInArray): not mapped.
    return Unavailable("the router did not answer: " + UpnpError(r));
  }

  Status Unmap(const PortMap& map) override {
    const int r = UPNP_DeletePortMapping(urls_.controlURL, data_.first.servicetype,
                                         std::to_string(map.external_port).c_str(), kTcp, nullptr);
    if (r != UPNPCOMMAND_SUCCESS) {
      return Unavailable("the router did not drop the mapping: " + UpnpError(r));
    }
    return Status::Ok();
  }

  Result<Pinhole> OpenPinhole(const std::string& address, uint16_t port,
                              std::chrono::seconds lease) override {
    INMOST_RETURN_IF_ERROR(FindFirewallControl());
    std::array<char, 8> id{};
    const int r = UPNP_AddPinhole(urls6_->controlURL_6FC, data6_.IPv6FC.servicetype, kAnyHost,
                                  kAnyPort, address.c_str(), std::to_string(port).c_str(),
                                  kTcpNumber, std::to_string(lease.count()).c_str(), id.data());
    if (r == kActionNotAuthorized) {
      return FailedPrecondition("the router opens a pinhole only for the address that asks, and "
                                "this machine asked from " + lan_address6_ + ", not " + address);
    }
    if (r > 0) {
      return FailedPrecondition("the router refused an IPv6 pinhole for [" + address + "]:" +
                                std::to_string(port) + ": " + UpnpError(r));
    }
    if (r != UPNPCOMMAND_SUCCESS) return Unavailable("the router did not answer: " + UpnpError(r));
    return Pinhole{id.data(), address, port, lease};
  }

  Status RenewPinhole(const Pinhole& pinhole, std::chrono::seconds lease) override {
    INMOST_RETURN_IF_ERROR(FindFirewallControl());
    const int r = UPNP_UpdatePinhole(urls6_->controlURL_6FC, data6_.IPv6FC.servicetype,
                                     pinhole.id.c_str(), std::to_string(lease.count()).c_str());
    if (r == kNoSuchEntry) return NotFound("the router has no pinhole " + pinhole.id);
    if (r > 0) return FailedPrecondition("the router did not renew the pinhole: " + UpnpError(r));
    if (r != UPNPCOMMAND_SUCCESS) return Unavailable("the router did not answer: " + UpnpError(r));
    return Status::Ok();
  }

  Result<bool> PinholeOpen(const Pinhole& pinhole) override {
    INMOST_RETURN_IF_ERROR(FindFirewallControl());
    int working = 0;
    const int r = UPNP_CheckPinholeWorking(urls6_->controlURL_6FC, data6_.IPv6FC.servicetype,
                                           pinhole.id.c_str(), &working);
    if (r == UPNPCOMMAND_SUCCESS || r == kNoTrafficReceived) return true;
    if (r == kNoSuchEntry) return false;
    if (r > 0) return FailedPrecondition("the router did not check the pinhole: " + UpnpError(r));
    return Unavailable("the router did not answer: " + UpnpError(r));
  }

  Status ClosePinhole(const Pinhole& pinhole) override {
    INMOST_RETURN_IF_ERROR(FindFirewallControl());
    const int r = UPNP_DeletePinhole(urls6_->controlURL_6FC, data6_.IPv6FC.servicetype,
                                     pinhole.id.c_str());
    if (r != UPNPCOMMAND_SUCCESS && r != kNoSuchEntry) {
      return Unavailable("the router did not close the pinhole: " + UpnpError(r));
    }
    return Status::Ok();
  }

 private:
  int Add(const std::string& external, const std::string& internal, const std::string& lease) {
    return UPNP_AddPortMapping(urls_.controlURL, data_.first.servicetype, external.c_str(),
                               internal.c_str(), lan_address_.c_str(), kDescription, kTcp, nullptr,
                               lease.c_str());
  }

  // The router's IPv6 firewall control, looked for once. It is asked over IPv6, from the
  // address a pinhole opens (IGD:2's rule, which miniupnpd enforces even out of secure
  // mode), so the router is found again by an SSDP search over IPv6.
  Status FindFirewallControl() {
    if (urls6_) return Status::Ok();
    if (!firewall_missing_.ok()) return firewall_missing_;
    firewall_missing_ = DiscoverFirewallControl();
    return firewall_missing_;
  }

  Status DiscoverFirewallControl() {
    int error = 0;
    UPNPDev* devices = upnpDiscover(static_cast<int>(timeout_.count()), nullptr, nullptr,
                                   UPNP_LOCAL_PORT_ANY, 1, 2, &error);
    if (!devices) return Unsupported("the router did not answer a UPnP search over IPv6");
    UPNPUrls urls{};
    std::array<char, 64> lan_address{};
    const int found = UPNP_GetValidIGD(devices, &urls, &data6_, lan_address.data(),
                                       static_cast<int>(lan_address.size()));
    freeUPNPDevlist(devices);
    if (found == 0) return Unsupported("no UPnP-IGD router answered over IPv6");
    if (found != 1 && found != 2) {
      FreeUPNPUrls(&urls);
      return Unsupported("the UPnP device that answered over IPv6 is no Internet gateway");
    }
    if (!urls.controlURL_6FC || urls.controlURL_6FC[0] == '\0' ||
        data6_.IPv6FC.servicetype[0] == '\0') {
      FreeUPNPUrls(&urls);
      return Unsupported("the router offers no IPv6 firewall control (an IGDv1 router)");
    }
    int enabled = 0, inbound = 0;
    const int r = UPNP_GetFirewallStatus(urls.controlURL_6FC, data6_.IPv6FC.servicetype,
                                         &enabled, &inbound);
    if (r == UPNPCOMMAND_SUCCESS && (!enabled || !inbound)) {
      FreeUPNPUrls(&urls);
      return Unsupported(enabled ? "the router's IPv6 firewall allows no inbound pinhole"
                                 : "the router's IPv6 firewall is off: nothing to open");
    }
    urls6_ = urls;
    lan_address6_ = lan_address.data();
    return Status::Ok();
  }

  UPNPUrls urls_;
  IGDdatas data_;
  std::string lan_address_;
  const std::chrono::milliseconds timeout_;
  std::optional<UPNPUrls> urls6_;  // Set once the IPv6 firewall control is found.
  IGDdatas data6_{};
  std::string lan_address6_;  // The address this machine asks it from.
  Status firewall_missing_;   // Why there is none, once looked for.
};

}  // namespace

Result<std::unique_ptr<Gateway>> DiscoverUpnpGateway(std::chrono::milliseconds timeout) {
  int error = 0;
  UPNPDev* devices = upnpDiscover(static_cast<int>(timeout.count()), nullptr, nullptr,
                                  UPNP_LOCAL_PORT_ANY, 0, 2, &error);
  if (!devices) return Unavailable("no UPnP-IGD router answered");
  UPNPUrls urls{};
  IGDdatas data{};
  std::array<char, 64> lan_address{};
  const int found = UPNP_GetValidIGD(devices, &urls, &data, lan_address.data(),
                                     static_cast<int>(lan_address.size()));
  freeUPNPDevlist(devices);
  if (found != 1) {
    if (found != 0) FreeUPNPUrls(&urls);
    return Unavailable(found == 0 ? "no UPnP-IGD router answered"
                                  : "the UPnP-IGD router answered but is not connected");
  }
  return std::unique_ptr<Gateway>(
      std::make_unique<UpnpGateway>(urls, data, std::string(lan_address.data()), timeout));
}

}  // namespace inmost::reach
