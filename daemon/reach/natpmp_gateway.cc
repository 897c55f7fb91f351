#include "daemon/reach/natpmp_gateway.h"

#include <arpa/inet.h>
// strnatpmperr is declared only on request.
#define ENABLE_STRNATPMPERR 1
#include <natpmp.h>
#include <sys/select.h>

#include <array>
#include <string>

namespace inmost::reach {

namespace {

class NatPmpGateway final : public Gateway {
 public:
  NatPmpGateway(natpmp_t handle, std::chrono::milliseconds timeout)
      : handle_(handle), timeout_(timeout) {}
  ~NatPmpGateway() override { closenatpmp(&handle_); }
  NatPmpGateway(const NatPmpGateway&) = delete;
  NatPmpGateway& operator=(const NatPmpGateway&) = delete;

  std::string_view protocol() const override { return kNatPmp; }

  Result<std::string> ExternalAddress() override {
    if (sendpublicaddressrequest(&handle_) < 0) return Unavailable("could not ask the router");
    auto response = Read();
    if (!response.ok()) return response.status();
    std::array<char, INET_ADDRSTRLEN> text{};
    inet_ntop(AF_INET, &response->pnu.publicaddress.addr, text.data(), text.size());
    return std::string(text.data());
  }

  Result<PortMap> Map(uint16_t internal_port, uint16_t wanted,
                      std::chrono::seconds lease) override {
    auto external_ip = ExternalAddress();
    if (!external_ip.ok()) return external_ip.status();
    // The router picks another external port itself when `wanted` is taken (RFC 6886 3.3).
    if (sendnewportmappingrequest(&handle_, NATPMP_PROTOCOL_TCP, internal_port, wanted,
                                  static_cast<uint32_t>(lease.count())) < 0) {
      return Unavailable("could not ask the router");
    }
    auto response = Read();
    if (!response.ok()) return response.status();
    const auto& granted = response->pnu.newportmapping;
    return PortMap{kNatPmp,           *external_ip,  granted.mappedpublicport,
                   InternalAddress(), internal_port, std::chrono::seconds(granted.lifetime)};
  }

  Result<bool> StillMapped(const PortMap& map) override {
    // NAT-PMP cannot list mappings: asking for the same one again is idempotent, and
    // answers with the external port it has, which differs if the router had forgotten
    // it and the port was taken since.
    auto again = Map(map.internal_port, map.external_port, map.lease);
    if (!again.ok()) return again.status();
    return again->external_port == map.external_port;
  }

  Status Unmap(const PortMap& map) override {
    // Lifetime 0 deletes the mapping (RFC 6886 3.4).
    if (sendnewportmappingrequest(&handle_, NATPMP_PROTOCOL_TCP, map.internal_port,
                                  map.external_port, 0) < 0) {
      return Unavailable("could not ask the router");
    }
    auto response = Read();
    return response.ok() ? Status::Ok() : response.status();
  }

 private:
  // The answer to the request just sent, within timeout_ (libnatpmp alone would retry
  // for a minute, RFC 6886's schedule).
  Result<natpmpresp_t> Read() {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    natpmpresp_t response{};
    for (;;) {
      const int r = readnatpmpresponseorretry(&handle_, &response);
      if (r >= 0) {
        if (response.resultcode != 0) {
          return FailedPrecondition("the router refused: NAT-PMP result code " +
                                    std::to_string(response.resultcode));
        }
        return response;
      }
      if (r != NATPMP_TRYAGAIN) {
        return Unavailable(std::string("the router did not answer: ") + strnatpmperr(r));
      }
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        return Unavailable("no NAT-PMP answer from the default gateway");
      }
      timeval wait{};
      getnatpmprequesttimeout(&handle_, &wait);
      const auto left_us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
      const long wait_us = wait.tv_sec * 1000000L + wait.tv_usec;
      if (wait_us > left_us) {
        wait.tv_sec = static_cast<time_t>(left_us / 1000000);
        wait.tv_usec = static_cast<suseconds_t>(left_us % 1000000);
      }
      fd_set readable;
      FD_ZERO(&readable);
      FD_SET(handle_.s, &readable);
      select(handle_.s + 1, &readable, nullptr, nullptr, &wait);
    }
  }

  // The local address the router's socket uses: the one the router forwards to.
  std::string InternalAddress() const {
    sockaddr_in local{};
    socklen_t size = sizeof local;
    if (getsockname(handle_.s, reinterpret_cast<sockaddr*>(&local), &size) != 0) return {};
    std::array<char, INET_ADDRSTRLEN> text{};
    inet_ntop(AF_INET, &local.sin_addr, text.data(), text.size());
    return text.data();
  }

  natpmp_t handle_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

Result<std::unique_ptr<Gateway>> DiscoverNatPmpGateway(std::chrono::milliseconds timeout) {
  natpmp_t handle{};
  if (initnatpmp(&handle, 0, 0) < 0) {
    return Unavailable("no default gateway to ask over NAT-PMP");
  }
  auto gateway = std::make_unique<NatPmpGateway>(handle, timeout);
  auto external = gateway->ExternalAddress();
  if (!external.ok()) return external.status();
  return std::unique_ptr<Gateway>(std::move(gateway));
}

}  // namespace inmost::reach
