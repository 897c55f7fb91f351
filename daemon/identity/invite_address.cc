#include "daemon/identity/invite_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "daemon/identity/ascii.h"
#include "daemon/identity/base32.h"

namespace inmost::identity {
namespace {

// ---- Host names (RFC 1035 / RFC 1123 syntax) ----
constexpr size_t kMaxHostNameLength = 253;
constexpr size_t kMaxLabelLength = 63;
constexpr std::string_view kOnionSuffix = "onion";
constexpr size_t kOnionV3LabelLength = 56;  // base32 of key, checksum and version.
constexpr size_t kMaxPortDigits = 5;
constexpr uint32_t kMaxPort = 65535;

// A copy of `s` safe to show, or a placeholder when it has unprintable bytes.
std::string Printable(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return "(an address with unprintable characters)";
  }
  return "\"" + std::string(s) + "\"";
}

Status BadAddress(std::string_view address, const std::string& why) {
  return InvalidArgument("invalid address " + Printable(address) + ": " + why);
}

bool ParsePort(std::string_view digits) {
  if (digits.empty() || digits.size() > kMaxPortDigits || digits[0] == '0') return false;
  uint32_t port = 0;
  for (char c : digits) {
    if (!IsDigit(c)) return false;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  return port >= 1 && port <= kMaxPort;
}

bool IsOnionV3Label(std::string_view label) {
  return label.size() == kOnionV3LabelLength &&
         std::all_of(label.begin(), label.end(), [](char c) { return Base32Value(c) >= 0; });
}

// Empty when `host` is a syntactically valid DNS name, else the reason it is not.
std::optional<std::string> HostNameProblem(std::string_view host) {
  if (host.size() > kMaxHostNameLength) return "the host name is longer than 253 characters";
  std::vector<std::string_view> labels;
  size_t start = 0;
  while (true) {
    const size_t dot = host.find('.', start);
    labels.push_back(host.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  for (std::string_view label : labels) {
    if (label.empty()) return "the host name has an empty part (two dots, or a dot at an end)";
    if (label.size() > kMaxLabelLength) {
      return "a part of the host name is longer than 63 characters";
    }
    for (char c : label) {
      const char l = ToLower(c);
      if (!((l >= 'a' && l <= 'z') || IsDigit(c) || c == '-')) {
        return "the host name contains " + DescribeChar(c) +
               "; use letters, digits, '-' and '.' only";
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return "a part of the host name starts or ends with '-'";
    }
  }
  const std::string_view last = labels.back();
  if (std::all_of(last.begin(), last.end(), IsDigit)) {
    return "the host name ends in a number: is it a mistyped IPv4 address?";
  }
  std::string last_lower(last);
  std::transform(last_lower.begin(), last_lower.end(), last_lower.begin(), ToLower);
  if (last_lower == kOnionSuffix &&
      (labels.size() < 2 || !IsOnionV3Label(labels[labels.size() - 2]))) {
    return "an .onion name needs the 56-character v3 onion address before .onion";
  }
  return std::nullopt;
}

}  // namespace

Status ValidateAddress(std::string_view address) {
  if (address.empty()) return InvalidArgument("invalid address: it is empty");
  if (address.size() > kMaxAddressLength) {
    return InvalidArgument("invalid address: it is longer than 255 characters");
  }
  std::string_view host;
  std::string_view port;
  if (address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string_view::npos) {
      return BadAddress(address, "the IPv6 address has no closing ']'");
    }
    if (close + 1 >= address.size() || address[close + 1] != ':') {
      return BadAddress(address, "a port must follow, as in [2001:db8::1]:4433");
    }
    port = address.substr(close + 2);
    const std::string ip(address.substr(1, close - 1));
    in6_addr parsed{};
    if (inet_pton(AF_INET6, ip.c_str(), &parsed) != 1) {
      return BadAddress(address, "the part in brackets is not an IPv6 address");
    }
    if (IN6_IS_ADDR_UNSPECIFIED(&parsed)) {
      return BadAddress(address, "[::] means any address; nobody can connect to it");
    }
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return BadAddress(address, "the port is missing; write host:port");
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return BadAddress(address, "an IPv6 address must be in brackets, as in [2001:db8::1]:4433");
    }
    if (host.empty()) return BadAddress(address, "the host is missing; write host:port");
    if (std::all_of(host.begin(), host.end(), [](char c) { return IsDigit(c) || c == '.'; })) {
      const std::string ip(host);
      in_addr parsed{};
      if (inet_pton(AF_INET, ip.c_str(), &parsed) != 1) {
        return BadAddress(address, "not an IPv4 address (four numbers 0-255, no leading zeros)");
      }
      if (parsed.s_addr == INADDR_ANY) {
        return BadAddress(address, "0.0.0.0 means any address; nobody can connect to it");
      }
    } else if (auto problem = HostNameProblem(host)) {
      return BadAddress(address, *problem);
    }
  }
  if (!ParsePort(port)) {
    return BadAddress(address, "the port must be a number from 1 to 65535");
  }
  return Status::Ok();
}

}  // namespace inmost::identity
