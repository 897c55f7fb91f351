#include "daemon/codec/tor/tor_options.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace inmost::tor {

Result<TorMode> ParseTorMode(std::string_view text) {
  for (TorMode mode : {TorMode::kAuto, TorMode::kSystem, TorMode::kLaunch, TorMode::kOff}) {
    if (text == TorModeName(mode)) return mode;
  }
  return InvalidArgument("must be auto, system, launch or off");
}

std::string_view TorModeName(TorMode mode) {
  switch (mode) {
    case TorMode::kOff:
      return "off";
    case TorMode::kSystem:
      return "system";
    case TorMode::kLaunch:
      return "launch";
    case TorMode::kAuto:
      return "auto";
  }
  return "off";
}

bool IsOnionAddress(std::string_view address) {
  std::string_view host = address;
  if (auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  constexpr std::string_view kSuffix = ".onion";
  if (host.size() <= kSuffix.size()) return false;
  return std::equal(kSuffix.begin(), kSuffix.end(), host.end() - kSuffix.size(),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

}  // namespace inmost::tor
