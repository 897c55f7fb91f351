#include "daemon/reach/upnp_gateway.h"

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include <array>
#include <string>

namespace inmost::reach {

namespace {

constexpr char kDescription[] = "inmost";
constexpr char kTcp[] = "TCP";
// UPnP error 718, ConflictInMappingEntry: the external port is taken by another host or port.
constexpr int kConflictInMappingEntry = 718;
// Ports tried after a conflict when the router has no AddAnyPortMapping (IGDv1).
constexpr int kOtherPortsToTry = 8;

std::string UpnpError(int code) {
  const char* text = strupnperror(code);
  return text ? std::string(text) + " (" + std::to_string(code) + ")"
              : "error " + std::to_string(code);
}

class UpnpGateway final : public Gateway {
 public:
  UpnpGateway(UPNPUrls urls, IGDdatas data, std::string lan_address)
      : urls_(urls), data_(data), lan_address_(std::move(lan_address)) {}
  ~UpnpGateway() override { FreeUPNPUrls(&urls_); }
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

 private:
  int Add(const std::string& external, const std::string& internal, const std::string& lease) {
    return UPNP_AddPortMapping(urls_.controlURL, data_.first.servicetype, external.c_str(),
                               internal.c_str(), lan_address_.c_str(), kDescription, kTcp, nullptr,
                               lease.c_str());
  }

  UPNPUrls urls_;
  IGDdatas data_;
  std::string lan_address_;
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
      std::make_unique<UpnpGateway>(urls, data, std::string(lan_address.data())));
}

}  // namespace inmost::reach
